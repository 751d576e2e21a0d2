"""Examples a generated page may show: the spec's own examples, never made up.

The Go SDK's ``examples`` tags mostly list a field's allowed values (``"EQUAL,NOT_EQUAL"``,
``"0,1"``): those are values, not an example, and are shown as such (`value_list`). A usage
sample calls an action only with values the spec gives (`usage_call`); where it gives none for
a required argument, no sample is rendered rather than one that cannot run.
"""

from __future__ import annotations

import re
from typing import Any

from .annotations import is_list
from .load import ActionModel, ProductModel, py_name
from .spec import Field

_TOKEN = re.compile(r"^[A-Za-z0-9_]+$")


def value_list(f: Field) -> list[str] | None:
    """The allowed values an ``example`` lists (comma-joined words), or ``None``."""
    ex = f.example
    if not isinstance(ex, str) or "," not in ex:
        return None
    parts = [p.strip() for p in ex.split(",")]
    return parts if all(_TOKEN.match(p) for p in parts) else None


def example(f: Field) -> Any:
    """The field's example as a value of its type, or ``None`` (no example, or only values)."""
    if f.example is None or value_list(f) is not None:
        return None
    value = f.example
    scalar = f.type.removeprefix("list[").removesuffix("]")
    try:
        if scalar == "int" and not isinstance(value, int):
            value = int(str(value))
        elif scalar == "float" and not isinstance(value, int | float):
            value = float(str(value))
        elif scalar == "bool" and not isinstance(value, bool):
            return None
        elif scalar == "str" and not isinstance(value, str):
            value = str(value)
        elif scalar not in ("int", "float", "bool", "str"):
            return None  # an object's example is not checked against its fields here
    except ValueError:
        return None
    if f.enum and value not in f.enum:
        return None
    return [value] if is_list(f) and not isinstance(value, list) else value


def usage_call(action: ActionModel) -> str | None:
    """``method(arg=value, ...)`` with the spec's examples for every required argument, or
    ``None`` when one has none."""
    args = []
    for f in action.fields:
        if not f.required or f.default is not None:
            continue
        value = example(f)
        if value is None:
            return None
        args.append(f"{py_name(f)}={value!r}")
    return f"{action.method_name}({', '.join(args)})"


def first_usage(model: ProductModel) -> str | None:
    """The first action callable with the spec's own values (no required argument counts)."""
    for action in model.actions:
        call = usage_call(action)
        if call is not None:
            return call
    return None
