"""Render results: JSON for machines (default), a plain table for people."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

import msgspec

MAX_CELL = 60


def to_data(value: Any) -> Any:
    """Plain data (dicts, lists, scalars) from models, iterators and results.

    Models declare ``omit_defaults`` for the wire; output keeps every list and every required
    field even when empty, so ``jq '.images[]'`` works on an empty listing. Unset optional
    scalars stay out.
    """
    if isinstance(value, msgspec.Struct):
        return _struct(value)
    if isinstance(value, dict):
        return {k: to_data(v) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return [to_data(v) for v in value]
    return msgspec.to_builtins(value)


def _struct(value: msgspec.Struct) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in msgspec.structs.fields(value):
        item = getattr(value, field.name)
        keep = (
            item is not None
            or field.required
            or isinstance(item, list | tuple | set | frozenset | dict)
        )
        if keep:
            out[field.encode_name] = to_data(item)
    return out


def paged(response: type[Any], items: Any) -> Any:
    """All pages' items in the shape of one page: ``{"images": [...]}``, not a bare list."""
    items = to_data(items)
    try:
        fields = msgspec.structs.fields(response)
    except TypeError:
        return items
    for field in fields:
        if _is_list(field.type):
            return {field.encode_name: items}
    return items


def _is_list(annotation: Any) -> bool:
    import msgspec.inspect as mi

    t = mi.type_info(annotation)
    while True:
        if isinstance(t, mi.Metadata):
            t = t.type
        elif isinstance(t, mi.UnionType):
            rest = [m for m in t.types if not isinstance(m, mi.NoneType)]
            if len(rest) != 1:
                return False
            t = rest[0]
        else:
            return isinstance(t, mi.ListType)


def render_json(data: Any) -> str:
    return msgspec.json.format(msgspec.json.encode(data), indent=2).decode()


def width(text: str) -> int:
    """Columns a terminal gives ``text``: wide (CJK, emoji) characters take two, marks none."""
    total = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total


def _pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


def _rows(data: Any) -> tuple[str, list[dict[str, Any]]] | None:
    """The first list of objects in ``data`` (depth first), with the key that holds it."""
    if isinstance(data, list) and all(isinstance(x, dict) for x in data) and data:
        return "", data
    if isinstance(data, dict):
        for key, value in data.items():
            found = _rows(value)
            if found is not None:
                return found[0] or key, found[1]
    return None


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else render_json(value).replace("\n", " ")
    text = " ".join(text.split())
    if width(text) <= MAX_CELL:
        return text
    while width(text) > MAX_CELL - 1:
        text = text[:-1]
    return text + "…"


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(width(h), *(width(r[i]) for r in rows)) if rows else width(h)
        for i, h in enumerate(header)
    ]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip(), line]
    out += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(out)


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict):
        items: list[tuple[str, Any]] = []
        for key, value in data.items():
            items += _flatten(value, f"{prefix}{key}.")
        return items
    return [(prefix.rstrip("."), data)]


def render_table(data: Any) -> str:
    """A table of the first list of objects, followed by the remaining scalar fields."""
    found = _rows(data)
    parts = []
    if found is not None:
        title, rows = found
        columns: list[str] = []
        for row in rows:
            columns += [k for k in row if k not in columns]
        grid = _grid(columns, [[_cell(row.get(c, "")) for c in columns] for row in rows])
        parts.append(f"{title} ({len(rows)})\n{grid}" if title else grid)
    scalars = (
        [(k, v) for k, v in _flatten(data) if not isinstance(v, list) and k != ""]
        if isinstance(data, dict)
        else []
    )
    if scalars:
        parts.append(_grid(["field", "value"], [[k, _cell(v)] for k, v in scalars]))
    if not parts:
        parts.append(_cell(data) if data not in (None, [], {}) else "(empty)")
    return "\n\n".join(parts)
