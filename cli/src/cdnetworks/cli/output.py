"""Render results: JSON for machines (default), a plain table for people."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

MAX_CELL = 60


def to_data(value: Any) -> Any:
    """Plain data (dicts, lists, scalars) from models, iterators and results."""
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | dict | msgspec.Struct):
        value = list(value)
    return msgspec.to_builtins(value)


def render_json(data: Any) -> str:
    return msgspec.json.format(msgspec.json.encode(data), indent=2).decode()


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
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
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
