"""The struct declarations of a Go SDK ``models.go``: names, fields, tags and comment metadata.

Only what the generated files use is understood: ``type X struct {`` blocks whose fields are
``Name Type `tags``` lines, each after a ``//`` comment holding JSON metadata. Methods and
imports between the structs are skipped. The comment's prose is never kept: only the
``defaultValue`` and ``exampleValue`` facts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..errors import SpecError

_STRUCT_OPEN = re.compile(r"^type\s+(\w+)\s+struct\s*\{\s*(\})?\s*$")
_FIELD = re.compile(r"^\s*([A-Za-z_]\w*)\s+(\S+)\s+`([^`]*)`\s*(?://.*)?$")
_TAG = re.compile(r'(\w+):"([^"]*)"')
_PACKAGE = re.compile(r"^package\s+(\w+)\s*$", re.MULTILINE)
#: Fallback for comments that are not valid JSON (some are single-quoted, some hold stray
#: backslashes or quotes): the value of a key in either quote style.
_META_KEYS = ("defaultValue", "exampleValue")
_META_TEXT = {
    key: re.compile(rf"""["']{key}["']\s*:\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
    for key in _META_KEYS
}


@dataclass(frozen=True)
class GoField:
    name: str
    go_type: str
    wire: str
    required: bool
    repeated: bool
    default: str | None
    example: str | None
    line: int


@dataclass
class GoStruct:
    name: str
    line: int
    fields: list[GoField] = field(default_factory=list)


@dataclass
class Models:
    """The structs of one ``models.go`` by name (the first declaration of each)."""

    package: str
    structs: dict[str, GoStruct]
    #: Later declarations of a name already declared, as ``(name, line)``: they are ignored.
    duplicates: list[tuple[str, int]]


def _meta(comment: list[str]) -> dict[str, str]:
    text = "\n".join(comment).strip()
    found: dict[str, str] = {}
    if not text.startswith("{"):
        return found
    try:
        data = json.loads(text, strict=False)
    except ValueError:
        for key, pattern in _META_TEXT.items():
            match = pattern.search(text)
            if match:
                value = match.group(1) if match.group(1) is not None else match.group(2)
                try:
                    found[key] = json.loads(f'"{value}"', strict=False)
                except ValueError:
                    found[key] = value
        return found
    if isinstance(data, dict):
        for key in _META_KEYS:
            value = data.get(key)
            if isinstance(value, bool):
                found[key] = "true" if value else "false"
            elif isinstance(value, (str, int, float)):
                found[key] = str(value)
    return found


def parse_models(text: str, file: str, product: str) -> Models:
    """Parse ``models.go``; a malformed struct raises `SpecError` naming file, struct and field."""
    package = _PACKAGE.search(text)
    if package is None:
        raise SpecError("no package clause", file=file, product=product)
    structs: dict[str, GoStruct] = {}
    duplicates: list[tuple[str, int]] = []
    current: GoStruct | None = None
    comment: list[str] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if current is None:
            opened = _STRUCT_OPEN.match(raw)
            if opened is None:
                if line.startswith("type ") and " struct" in line:
                    raise SpecError(
                        f"line {number}: unreadable struct declaration", file=file, product=product
                    )
                continue
            struct = GoStruct(opened.group(1), number)
            if struct.name in structs:
                duplicates.append((struct.name, number))
            else:
                structs[struct.name] = struct
            if opened.group(2) is None:
                current, comment = struct, []
            continue
        if line == "}":
            current = None
            continue
        if line.startswith("//"):
            comment.append(line[2:])
            continue
        if not line:
            continue
        current.fields.append(_field(raw, number, comment, current.name, file, product))
        comment = []
    if current is not None:
        raise SpecError(
            f"line {current.line}: struct {current.name} is never closed",
            file=file,
            product=product,
        )
    return Models(package.group(1), structs, duplicates)


def _field(
    raw: str, number: int, comment: list[str], struct: str, file: str, product: str
) -> GoField:
    match = _FIELD.match(raw)
    if match is None:
        raise SpecError(
            f"line {number}: unreadable field in struct {struct}: {raw.strip()[:60]!r}",
            file=file,
            product=product,
        )
    name, go_type, tag_text = match.groups()
    tags = dict(_TAG.findall(tag_text))
    wire = tags.get("json", "").split(",")[0]
    if not wire or wire == "-":
        raise SpecError(
            f"line {number}: struct {struct} has no json name",
            file=file,
            product=product,
            field=name,
        )
    meta = _meta(comment)
    return GoField(
        name=name,
        go_type=go_type,
        wire=wire,
        required=tags.get("require") == "true",
        repeated=tags.get("type") == "Repeated",
        default=meta.get("defaultValue"),
        example=meta.get("exampleValue"),
        line=number,
    )
