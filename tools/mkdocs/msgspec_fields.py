"""A griffe extension for the documentation site: msgspec models show every field.

msgspec fields carry their documentation in ``Meta`` (description, bounds) and their wire names
in the class's ``rename``; mkdocstrings sees neither, and lists no field without a docstring.
For every class that is a ``msgspec.Struct`` at run time, this appends to its docstring a table
of its fields: name, wire name, type, required or default, constraints and allowed values, and
description. It also drops private base classes (``Bases: _Item``) from every class.

Any page that documents a Struct with ``::: dotted.path`` gets the table; nothing to add to
the page. Loaded by ``mkdocs.yml`` (``plugins.mkdocstrings.handlers.python.options.extensions``).
"""

from __future__ import annotations

import importlib
from typing import Any

import griffe
import msgspec
import msgspec.inspect as mi


def _runtime(cls: griffe.Class) -> Any:
    try:
        module = importlib.import_module(cls.module.path)
    except ImportError:
        return None
    return getattr(module, cls.name, None)


def _type(t: mi.Type) -> str:
    """A short, Python-like spelling of a msgspec type."""
    if isinstance(t, mi.Metadata):
        return _type(t.type)
    if isinstance(t, mi.UnionType):
        # "or", not "|": a pipe would end the table cell. None shows as "required: no".
        members = [_type(m) for m in t.types if not isinstance(m, mi.NoneType)]
        return " or ".join(members) if members else "None"
    if isinstance(t, mi.LiteralType):
        return "str" if all(isinstance(v, str) for v in t.values) else "literal"
    if isinstance(t, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType):
        kind = {mi.ListType: "list", mi.VarTupleType: "tuple", mi.SetType: "set"}
        return f"{kind.get(type(t), 'frozenset')}[{_type(t.item_type)}]"
    if isinstance(t, mi.DictType):
        return f"dict[{_type(t.key_type)}, {_type(t.value_type)}]"
    if isinstance(t, mi.StructType | mi.DataclassType | mi.TypedDictType | mi.NamedTupleType):
        return t.cls.__name__
    if isinstance(t, mi.EnumType):
        return t.cls.__name__
    names = {
        mi.StrType: "str",
        mi.IntType: "int",
        mi.FloatType: "float",
        mi.BoolType: "bool",
        mi.NoneType: "None",
        mi.AnyType: "Any",
        mi.BytesType: "bytes",
        mi.DateTimeType: "datetime",
        mi.DateType: "date",
    }
    return names.get(type(t), type(t).__name__.removesuffix("Type").lower())


def _facts(t: mi.Type, facts: dict[str, list[str]]) -> None:
    """Collect descriptions, constraints and allowed values from every layer of ``t``."""
    if isinstance(t, mi.Metadata):
        description = (t.extra_json_schema or {}).get("description")
        if description:
            facts["description"].append(str(description))
        _facts(t.type, facts)
    elif isinstance(t, mi.UnionType):
        for member in t.types:
            _facts(member, facts)
    elif isinstance(t, mi.LiteralType):
        facts["values"] += [f"`{v}`" for v in t.values]
    elif isinstance(t, mi.EnumType):
        facts["values"] += [f"`{m.value}`" for m in t.cls]
    elif isinstance(t, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType):
        _bounds(t, facts, "items")
        _facts(t.item_type, facts)
    elif isinstance(t, mi.IntType | mi.FloatType):
        for symbol, name in ((">", "gt"), ("≥", "ge"), ("<", "lt"), ("≤", "le")):
            value = getattr(t, name)
            if value is not None:
                facts["constraints"].append(f"{symbol} {value}")
        if t.multiple_of is not None:
            facts["constraints"].append(f"multiple of {t.multiple_of}")
    elif isinstance(t, mi.StrType):
        _bounds(t, facts, "characters")
        if t.pattern is not None:
            facts["constraints"].append(f"matches `{t.pattern}`")


def _bounds(t: Any, facts: dict[str, list[str]], unit: str) -> None:
    low, high = t.min_length, t.max_length
    if low is not None and high is not None:
        facts["constraints"].append(f"{low} to {high} {unit}")
    elif low is not None:
        facts["constraints"].append(f"at least {low} {unit}")
    elif high is not None:
        facts["constraints"].append(f"at most {high} {unit}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def field_table(model: type[msgspec.Struct]) -> str:
    """The Markdown table of a Struct's fields."""
    info = mi.type_info(model)
    assert isinstance(info, mi.StructType)
    rows = [
        "| field | wire name | type | required | constraints and values | description |",
        "|---|---|---|---|---|---|",
    ]
    for field in info.fields:
        facts: dict[str, list[str]] = {"description": [], "constraints": [], "values": []}
        _facts(field.type, facts)
        if field.required:
            required = "yes"
        elif field.default is not msgspec.NODEFAULT and field.default is not None:
            required = f"no (default `{field.default!r}`)"
        elif field.default_factory is not msgspec.NODEFAULT:
            required = f"no (default `{field.default_factory()!r}`)"
        else:
            required = "no"
        limits = facts["constraints"] + (
            ["one of " + ", ".join(dict.fromkeys(facts["values"]))] if facts["values"] else []
        )
        cells = [
            f"`{field.name}`",
            f"`{field.encode_name}`",
            f"`{_type(field.type)}`",
            required,
            "; ".join(limits),
            " ".join(facts["description"]),
        ]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows)


class MsgspecFields(griffe.Extension):
    """Field tables for msgspec Structs; no private base classes."""

    def on_class(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        cls.bases = [b for b in cls.bases if not str(b).rsplit(".", 1)[-1].startswith("_")]
        runtime = _runtime(cls)
        if not (isinstance(runtime, type) and issubclass(runtime, msgspec.Struct)):
            return
        if not msgspec.structs.fields(runtime):
            return
        table = "**Fields**\n\n" + field_table(runtime)
        if cls.docstring is None:
            cls.docstring = griffe.Docstring(table, parent=cls)
        else:
            cls.docstring.value = cls.docstring.value.rstrip() + "\n\n" + table
