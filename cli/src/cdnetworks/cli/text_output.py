"""``--output text``: tab-separated values, one line a row, as aws-cli prints them.

Made for taking values into shell variables (``id=$(cdnetworks ... --query id --output text)``)
and for ``cut``/``awk``. A scalar is one line. A list of scalars is one line of tab-separated
values. An object prints its scalar fields on one line (keys sorted), then each of its nested
lists and objects after it, in the same way; a list of objects is one line per object, every
row with the same columns. Missing values print as ``None``, as aws-cli does; tabs and newlines
inside a value become spaces, so a line is always one row.
"""

from __future__ import annotations

from typing import Any


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _text(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    return " ".join(str(value).replace("\t", " ").splitlines()) if str(value) else ""


def _lines(data: Any, out: list[str]) -> None:
    if _scalar(data):
        out.append(_text(data))
    elif isinstance(data, list):
        if all(_scalar(v) for v in data):
            if data:
                out.append("\t".join(_text(v) for v in data))
        else:
            # The same columns on every row of a list: an object lacking a field gets None.
            rows = [v for v in data if isinstance(v, dict)]
            columns = sorted({k for row in rows for k, v in row.items() if _scalar(v)})
            for item in data:
                if isinstance(item, dict):
                    _object(item, out, columns)
                else:
                    _lines(item, out)
    else:
        _object(data, out, sorted(k for k, v in data.items() if _scalar(v)))


def _object(data: dict[str, Any], out: list[str], columns: list[str]) -> None:
    if columns:
        out.append("\t".join(_text(data.get(k)) for k in columns))
    for key in sorted(data):
        if not _scalar(data[key]):
            _lines(data[key], out)


def render_text(data: Any) -> str:
    out: list[str] = []
    _lines(data, out)
    return "\n".join(out)
