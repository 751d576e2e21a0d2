"""Turning one product's README rows and ``models.go`` structs into a `Spec` of facts.

Problems the generator or an override must settle (a ``*`` with no path field, a row with no
model, an undeclared type) are collected, not raised: the import goes on and reports them.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import msgspec

from cdnetworks.core.action import snake_case

from ..errors import SpecError
from ..load import py_name
from ..spec import Action, Field, Location, Response, Scalar, Spec, TypeDef, Uncovered
from .gosource import GoField, Models
from .readme import Row

_SCALARS = {
    "string": "str",
    "bool": "bool",
    "float32": "float",
    "float64": "float",
    "interface{}": "any",
    "any": "any",
    **{f"{sign}int{bits}": "int" for sign in ("", "u") for bits in ("", "8", "16", "32", "64")},
}
_IDENT = re.compile(r"^[A-Za-z_]\w*$")
_INT = re.compile(r"^[+-]?\d+$")
#: Request structs of an action by location, in the order their fields are listed.
_REQUEST_PARTS: tuple[tuple[str, Location], ...] = (
    ("Request", "body"),
    ("Parameters", "query"),
    ("RequestHeader", "header"),
    ("Paths", "path"),
)


@dataclass(frozen=True)
class Problem:
    #: A short class of problem, for counting across products ("no model", "name clash").
    kind: str
    detail: str


@dataclass
class Imported:
    """One product's spec and what the import found on the way."""

    product: str
    spec: Spec
    imported: int = 0
    #: README rows not imported, with why.
    skipped: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def python_name(wire: str) -> str | None:
    """The explicit Python name a wire name needs, or None when its snake_case will do. One
    mangler for the project: the generator's (`py_name`), so import and generation agree."""
    derived = py_name(Field(wire=wire, type="str"))
    return None if derived == snake_case(wire) else derived


def _effective_name(item: Field) -> str:
    return item.name or snake_case(item.wire)


def _default(text: str | None, type_: str) -> Scalar | None:
    """The default in the field's type; None when the text is not one (so it is left out)."""
    value = (text or "").strip()
    if not value:  # an empty defaultValue says nothing
        return None
    if type_ == "str":
        return text
    if type_ == "int" and _INT.match(value):
        return int(value)
    if type_ == "float":
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    if type_ == "bool" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


class _Converter:
    def __init__(self, product: str, models: Models, models_file: str) -> None:
        self.product = product
        self.models = models
        self.file = models_file
        self.types: dict[str, TypeDef] = {}
        #: Nested type names each converted struct refers to, to find response-side types.
        self.refs: dict[str, set[str]] = {}
        #: Types a response reaches directly.
        self.answers: set[str] = set()
        self.problems: list[Problem] = []
        self._undeclared: set[str] = set()

    def type_of(self, go: GoField, struct: str, action: str | None, refs: set[str]) -> str:
        type_ = self._go_type(go.go_type, go, struct, action, refs)
        if go.repeated and not type_.startswith("list["):
            # The tag and the Go type disagree; the Go type is what the SDK sends.
            self.problems.append(
                Problem("repeated tag on a non-list", f"{struct}.{go.wire}: {go.go_type}")
            )
        return type_

    def _go_type(
        self, text: str, go: GoField, struct: str, action: str | None, refs: set[str]
    ) -> str:
        if text.startswith("[]"):
            return f"list[{self._go_type(text[2:], go, struct, action, refs)}]"
        if text.startswith("*"):
            return self._go_type(text[1:], go, struct, action, refs)
        if text.startswith("map[string]"):
            return f"map[{self._go_type(text[11:], go, struct, action, refs)}]"
        if text in _SCALARS:
            return _SCALARS[text]
        if _IDENT.match(text) and text[0].isupper():
            if text in self.models.structs:
                refs.add(text)
                self.typedef(text)
                return text
            if text not in self._undeclared:
                self._undeclared.add(text)
                self.problems.append(
                    Problem("undeclared type", f"{text} (used by {struct}.{go.wire}): typed any")
                )
            return "any"
        raise SpecError(
            f"line {go.line}: unsupported Go type {go.go_type!r} in struct {struct}",
            file=self.file,
            product=self.product,
            action=action,
            field=go.wire,
        )

    def field(
        self,
        go: GoField,
        struct: str,
        action: str | None,
        refs: set[str],
        *,
        location: Location = "body",
        request: bool = False,
    ) -> Field:
        type_ = self.type_of(go, struct, action, refs)
        return Field(
            wire=go.wire,
            type=type_,
            name=python_name(go.wire),
            location=location,
            # Responses carry require:"true" on nearly every field: it says nothing there.
            required=request and go.required,
            default=_default(go.default, type_),
            example=go.example,
        )

    def typedef(self, name: str) -> None:
        if name in self.types:
            return
        # Registered before its fields: a type may refer to itself, and parents come first.
        typedef = self.types[name] = TypeDef()
        refs = self.refs[name] = set()
        fields = [
            self.field(go, name, None, refs, request=True)
            for go in self.models.structs[name].fields
        ]
        typedef.fields = self._dedupe(fields, f"type {name}", by_location=False)

    def _dedupe(self, fields: list[Field], where: str, *, by_location: bool) -> list[Field]:
        """Give each later field whose Python name is taken a distinct one, and report it."""
        seen: dict[str, Field] = {}
        out: list[Field] = []
        for item in fields:
            name = _effective_name(item)
            if name in seen:
                suffix = item.location if by_location else "2"
                new, n = f"{name}_{suffix}", 2
                while new in seen:
                    n += 1
                    new = f"{name}_{suffix}{n}"
                earlier = seen[name]
                what = f"{item.location} field" if by_location else "field"
                than = f"{earlier.location} field" if by_location else "field"
                self.problems.append(
                    Problem(
                        "name clash",
                        f"{where}: {what} {item.wire!r} named {new} "
                        f"({than} {earlier.wire!r} is {name})",
                    )
                )
                item = msgspec.structs.replace(item, name=new)
                name = new
            seen[name] = item
            out.append(item)
        return out

    def action(self, row: Row, base: str) -> Action:
        structs = self.models.structs
        request: list[Field] = []
        refs: set[str] = set()
        for suffix, location in _REQUEST_PARTS:
            struct = structs.get(base + suffix)
            if struct is None:
                continue
            request.extend(
                self.field(go, struct.name, base, refs, location=location, request=True)
                for go in struct.fields
            )
        request = self._dedupe(request, f"action {base}", by_location=True)
        path = self._path(row, base, [f for f in request if f.location == "path"])
        response = Response()
        body = structs.get(base + "Response")
        if body is None:
            self.problems.append(Problem("no response model", f"{base}: no {base}Response"))
        elif not body.fields:
            response.body = "none"
        else:
            self.typedef(body.name)
            self.answers.add(body.name)
            response.type = body.name
        header = structs.get(base + "ResponseHeader")
        if header is not None:
            answers: set[str] = set()
            response.headers = [self.field(go, header.name, base, answers) for go in header.fields]
            self.answers |= answers
        return Action(name=base, method=row.method, path=path, request=request, response=response)

    def _path(self, row: Row, base: str, fields: list[Field]) -> str:
        segments = row.uri.split("/")
        stars = [i for i, segment in enumerate(segments) if segment == "*"]
        for index, item in zip(stars, fields, strict=False):
            segments[index] = "{" + item.wire + "}"
        for number in range(len(fields), len(stars)):
            self.problems.append(
                Problem(
                    "path segment * has no field",
                    f"{base}: {row.method} {row.uri} (* number {number + 1})",
                )
            )
        for item in fields[len(stars) :]:
            self.problems.append(
                Problem("path field has no * segment", f"{base}: {item.wire!r} in {row.uri}")
            )
        return "/".join(segments)

    def response_types(self) -> set[str]:
        """Types reachable from responses: their tags' ``require`` says nothing."""
        roots = list(self.answers)
        seen: set[str] = set()
        while roots:
            name = roots.pop()
            if name not in seen:
                seen.add(name)
                roots.extend(self.refs.get(name, ()))
        return seen


def _action_bases(structs: Iterable[str]) -> dict[str, str]:
    """Action names (the ``<Action>`` of ``<Action>Request``/``Response``) by lower case."""
    bases: dict[str, str] = {}
    for name in structs:
        for suffix in ("Request", "Response"):
            if name.endswith(suffix) and len(name) > len(suffix):
                bases.setdefault(name[: -len(suffix)].lower(), name[: -len(suffix)])
    return bases


_T = TypeVar("_T")
_NO_MODEL = "the Go SDK lists it but has no model for it (no request or response fields)"


def _closest(name: str, items: list[_T], key: Callable[[_T], str]) -> _T | None:
    """The item whose key is most like ``name`` (ignoring case), if any is fairly close."""
    scored = [
        (difflib.SequenceMatcher(None, name.lower(), key(item).lower()).ratio(), item)
        for item in items
    ]
    best = max(scored, key=lambda pair: pair[0], default=None)
    return best[1] if best is not None and best[0] >= 0.6 else None


def convert(
    product: str,
    rows: list[Row],
    models: Models,
    models_file: str,
    row_names: dict[str, str] | None = None,
) -> Imported:
    """The spec of one product; raises `SpecError` for input it cannot read.

    ``row_names`` pairs README rows whose name differs from their model's (the overrides'
    ``rows``: row name -> model name); the action keeps the model's name.
    """
    converter = _Converter(product, models, models_file)
    result = Imported(product, Spec(product=product, go_package=models.package))
    for name, line in models.duplicates:
        converter.problems.append(
            Problem("duplicate declaration", f"{name} (line {line}): the first one is kept")
        )
    bases = _action_bases(models.structs)
    claimed: dict[str, Row] = {}
    unmatched: list[Row] = []
    actions: list[Action] = []
    paired = {row.lower(): model for row, model in (row_names or {}).items()}
    uncovered: list[Uncovered] = []
    duplicated = {name for name, _ in models.duplicates}
    used: set[str] = set()
    for row in rows:
        base = bases.get(row.name.lower())
        if base is None and row.name.lower() in paired:
            named = paired[row.name.lower()]
            used.add(row.name.lower())
            base = bases.get(named.lower())
            if base is None or base != named or base + "Request" not in models.structs:
                result.skipped.append(
                    Problem(
                        "no model",
                        f"{row.label} (README line {row.line}): the overrides pair it with "
                        f"{named}, which models.go does not declare",
                    )
                )
                uncovered.append(
                    Uncovered(
                        name=row.label,
                        method=row.method,
                        path=row.uri,
                        why=f"paired with {named}, which has no model",
                    )
                )
                continue
        if base is None:
            unmatched.append(row)
            result.skipped.append(Problem("no model", f"{row.label} (README line {row.line})"))
            uncovered.append(
                Uncovered(name=row.label, method=row.method, path=row.uri, why=_NO_MODEL)
            )
            continue
        if base in claimed:
            result.skipped.append(
                Problem(
                    "duplicate row",
                    f"{row.label} (README line {row.line}): {base} is already the row of line "
                    f"{claimed[base].line} ({row.method} {row.uri} not imported)",
                )
            )
            why = (
                f"a second API under the name {base}, whose models the Go SDK declares twice: "
                "only the first declaration is read"
                if base + "Request" in duplicated or base + "Response" in duplicated
                else f"a second row for {base}"
            )
            uncovered.append(Uncovered(name=row.label, method=row.method, path=row.uri, why=why))
            continue
        claimed[base] = row
        actions.append(converter.action(row, base))
    # Models no row names: a rename upstream, usually. Guessing the pair is unsafe (similar
    # names are not the same action: Get... is closer to Delete... than to GetSpecified...),
    # so a row is only named as a hint, when it and the model are each other's closest.
    for row_name in sorted(set(paired) - used):
        converter.problems.append(
            Problem(
                "unused row pair", f"the overrides pair row {row_name!r}, which is not unmatched"
            )
        )
    orphans = [
        base
        for base in sorted(set(bases.values()) - set(claimed))
        if base + "Request" in models.structs and base + "Response" in models.structs
    ]
    for base in orphans:
        near = _closest(base, unmatched, lambda row: row.name)
        mutual = near is not None and _closest(near.name, orphans, lambda name: name) == base
        hint = f" (renamed from {near.label}?)" if near is not None and mutual else ""
        converter.problems.append(Problem("model without row", base + hint))
    # A type answers when any response reaches it, even if a request uses it too: a required
    # field there would make decoding an answer fail.
    for name in converter.response_types():
        typedef = converter.types[name]
        typedef.fields = [msgspec.structs.replace(item, required=False) for item in typedef.fields]
    result.spec.actions = actions
    result.spec.types = converter.types
    result.spec.not_covered = uncovered
    result.imported = len(actions)
    result.problems = converter.problems
    return result
