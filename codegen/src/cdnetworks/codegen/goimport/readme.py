"""The action table of a Go SDK ``README_EN.md``: ``| ActionName | enDescription | method | uri |``.

Only the name, the HTTP method and the URI are kept; the description column is the vendor's
prose and is skipped (it may itself hold ``|``, so the method and URI are read from the end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import SpecError

_NAME = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\s*(?:\(([A-Za-z0-9_ ]+)\))?$")
_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
_URI = re.compile(r"^/[A-Za-z0-9_.~\-/*{}:@]*$")


@dataclass(frozen=True)
class Row:
    #: The name as written, suffix included (``Addexactrule(accessControl)``).
    label: str
    #: The name without its suffix, for matching models.
    name: str
    method: str
    uri: str
    line: int


def parse_readme(text: str, file: str, product: str) -> list[Row]:
    """The action rows; a malformed table raises `SpecError` naming file, product and action."""
    # Not splitlines(): descriptions hold characters (U+2028, form feeds) it would split on.
    lines = text.split("\n")
    header = next(
        (i for i, line in enumerate(lines) if re.match(r"^\|\s*ActionName\s*\|", line)), None
    )
    if header is None:
        raise SpecError("no action table (| ActionName | ... |)", file=file, product=product)
    rows: list[Row] = []
    index = header
    while index + 1 < len(lines):
        index += 1
        number = index + 1
        line = lines[index].strip()
        if not line.startswith("|"):
            break
        # A description may hold a raw line break: the row goes on to the line ending in "|".
        while not line.endswith("|") and index + 1 < len(lines):
            index += 1
            line += " " + lines[index].strip()
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if all(set(cell) <= set("-: ") for cell in cells):
            continue
        label = cells[0]
        if len(cells) < 4:
            raise SpecError(
                f"line {number}: expected 4 columns, found {len(cells)}",
                file=file,
                product=product,
                action=label or None,
            )
        name = _NAME.match(label)
        if name is None:
            raise SpecError(
                f"line {number}: unreadable action name {label!r}", file=file, product=product
            )
        method, uri = cells[-2].upper(), cells[-1]
        if method not in _METHODS:
            raise SpecError(
                f"line {number}: unknown HTTP method {cells[-2]!r}",
                file=file,
                product=product,
                action=label,
            )
        if not _URI.match(uri):
            raise SpecError(
                f"line {number}: unreadable URI {uri!r}", file=file, product=product, action=label
            )
        rows.append(Row(label, name.group(1), method, uri, number))
    if not rows:
        raise SpecError("the action table has no rows", file=file, product=product)
    return rows
