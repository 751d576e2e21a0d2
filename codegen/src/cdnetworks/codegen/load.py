"""Read a product's spec and overrides, merge them and check every cross-reference.

The result, `ProductModel`, is what the renderers read: facts with the reviewed corrections
applied, Python names decided, and every reference (types, paging and waiter fields, path
placeholders) known to resolve. Anything wrong is a `SpecError` naming file, product, action
and field, raised before a single file is written.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from cdnetworks.core.action import method_case, snake_case

from .errors import SpecError
from .spec import (
    Action,
    ActionPatch,
    Envelope,
    Field,
    FieldPatch,
    Job,
    Overrides,
    Spec,
    TypeDef,
    TypePatch,
    Waiter,
)

SCALARS = {"str", "int", "float", "bool", "any"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_LIST = re.compile(r"^list\[(.+)\]$")
_MAP = re.compile(r"^map\[(.+)\]$")
#: Names a field may not take as they are: a model's annotations are read in the class's
#: namespace, where a field called ``list`` would hide the builtin ``list[...]`` refers to.
_RESERVED = {"self", "request", "list", "dict", "str", "int", "float", "bool", "bytes", "msgspec"}
METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"}


@dataclass
class ActionModel:
    spec: Action
    request_class: str
    #: Request fields by location, in declaration order.
    fields: list[Field]
    response_class: str
    envelope: Envelope | None
    request_doc: str | None = None
    request_post_init: str | None = None

    @property
    def method_name(self) -> str:
        return method_case(self.spec.name)

    @property
    def legacy_method_name(self) -> str | None:
        """The method's name before the naming rule learnt `WORD_SPELLINGS`, if it differs
        (kept as a deprecated alias)."""
        old = snake_case(self.spec.name)
        return None if old == self.method_name else old

    @property
    def walk_filters(self) -> list[Field]:
        """The request fields an ``iter_*`` walk takes as filters: all but those the walk
        sets itself (the page size, and the page number of ``page`` paging)."""
        paging = self.spec.paging
        if paging is None:
            return []
        own = {paging.page_size, paging.page} if paging.style == "page" else {paging.page_size}
        return [f for f in self.fields if py_name(f) not in own]

    @property
    def constant(self) -> str:
        return snake_case(self.spec.name).upper()


@dataclass
class ProductModel:
    name: str
    folder: Path
    spec: Spec
    overrides: Overrides
    actions: list[ActionModel]
    types: dict[str, TypeDef]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: Nested types merged into another of the same shape: merged name -> the kept name.
    shape_aliases: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.overrides.title or self.name

    @property
    def camel(self) -> str:
        """The class-name stem: the title's words, each capitalised (``CA certificate
        management`` -> ``CaCertificateManagement``); words in brackets are left out."""
        return class_stem(self.title)

    @property
    def client_class(self) -> str:
        return self.overrides.client or f"{self.camel}Client"

    @property
    def async_client_class(self) -> str:
        return self.overrides.async_client or f"Async{self.camel}Client"

    @property
    def legacy_clients(self) -> dict[str, str]:
        """Client class names generated before products had reviewed names (the package name
        capitalised: ``SecuritypolicyClient``) -> today's; kept as deprecated aliases."""
        if self.overrides.client:
            return {}  # reviewed from the start: the old default was never generated
        old = self.name[:1].upper() + self.name[1:]
        pairs = {f"{old}Client": self.client_class, f"Async{old}Client": self.async_client_class}
        return {o: n for o, n in pairs.items() if o != n}

    @property
    def constant(self) -> str:
        return self.overrides.constant or self.name.upper()

    @property
    def summary(self) -> str:
        if self.overrides.summary:
            return self.overrides.summary
        count = len(self.actions)
        return f"CDNetworks {self.title}: {count} API action{'s' if count != 1 else ''}."

    @property
    def distribution(self) -> str:
        return f"cdnetworks-{self.name}"

    def action(self, name: str) -> ActionModel:
        for action in self.actions:
            if action.spec.name == name:
                return action
        raise KeyError(name)


def class_stem(words: str) -> str:
    """``CA certificate management`` -> ``CaCertificateManagement``: the words outside
    brackets, each with one capital (acronyms too, as in ``HttpClient``)."""
    plain = re.sub(r"\([^)]*\)", " ", words)
    return "".join(w[:1].upper() + w[1:].lower() for w in re.findall(r"[A-Za-z0-9]+", plain))


def py_name(f: Field) -> str:
    """The Python attribute name of a field."""
    if f.name:
        return f.name
    name = snake_case(re.sub(r"[^0-9A-Za-z_]+", "_", f.wire)).strip("_")
    name = re.sub(r"_+", "_", name) or "value"
    if name[0].isdigit():
        name = "f_" + name
    return name + "_" if keyword.iskeyword(name) or name in _RESERVED else name


def _read(path: Path, kind: type[Any], product: str) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", file=str(path), product=product) from None
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.DecodeError as exc:
        raise SpecError(f"not valid JSON: {exc}", file=str(path), product=product) from None
    except msgspec.ValidationError as exc:
        raise SpecError(str(exc), file=str(path), product=product) from None


def _patch_field(f: Field, patch: FieldPatch) -> Field:
    changes = {
        k: v
        for k, v in msgspec.structs.asdict(patch).items()
        if k not in ("why", "remove") and v is not None
    }
    return msgspec.structs.replace(f, **changes)


def _patch_fields(
    fields: list[Field],
    patches: dict[str, FieldPatch],
    add: list[Field],
    order: list[str] | None,
    where: dict[str, str],
) -> list[Field]:
    """Fields after patches. A patch names its field by wire name, or ``in:wire``
    (``query:dryRun``) where the same wire name travels in two places."""
    out: list[Field | None] = list(fields)
    for key, patch in patches.items():
        location, _, wire = key.rpartition(":")
        matches = [
            i
            for i, f in enumerate(fields)
            if f.wire == wire and (not location or f.location == location)
        ]
        if not matches:
            raise SpecError(
                f"overrides patch field {key!r}, which does not exist", **where, field=key
            )
        if len(matches) > 1:
            raise SpecError(
                f"{wire!r} travels in several places: name the patch in:{wire}", **where, field=key
            )
        index = matches[0]
        out[index] = None if patch.remove else _patch_field(fields[index], patch)
    kept = [f for f in out if f is not None]
    for extra in add:
        if any(f.wire == extra.wire and f.location == extra.location for f in kept):
            raise SpecError("overrides add a field that exists", **where, field=extra.wire)
        kept.append(extra)
    if order is not None:
        wires = [f.wire for f in kept]
        if sorted(order) != sorted(wires):
            raise SpecError(
                f"order must list every field once: {', '.join(wires)}", **where, field="order"
            )
        rank = {w: i for i, w in enumerate(order)}
        kept.sort(key=lambda f: rank[f.wire])
    return kept


def _apply_type_patches(
    types: dict[str, TypeDef], patches: dict[str, TypePatch], where: dict[str, str]
) -> tuple[dict[str, TypeDef], dict[str, str]]:
    """Types after patches, and the renames (old name -> new name) to apply to references."""
    out = dict(types)
    renames: dict[str, str] = {}
    for name, patch in patches.items():
        if name not in out and patch.replace is None:
            continue  # a request class (those are patched with their action)
        typedef = patch.replace or out[name]
        typedef = msgspec.structs.replace(
            typedef,
            fields=_patch_fields(
                typedef.fields, patch.fields, patch.add, patch.order, {**where, "action": name}
            ),
        )
        if patch.description is not None:
            typedef = msgspec.structs.replace(typedef, description=patch.description)
        if patch.post_init is not None:
            typedef = msgspec.structs.replace(typedef, post_init=patch.post_init)
        out[name] = typedef
        if patch.rename:
            renames[name] = patch.rename
    for old, new in renames.items():
        if new in out and new not in renames:
            raise SpecError(f"cannot rename type {old} to {new}: that type exists", **where)
        out[new] = out.pop(old)
    return out, renames


def _union(expr: str) -> list[str] | None:
    """The members of a top-level union ``a|b``, or ``None``."""
    depth, parts, start = 0, [], 0
    for i, char in enumerate(expr):
        depth += char == "["
        depth -= char == "]"
        if char == "|" and depth == 0:
            parts.append(expr[start:i].strip())
            start = i + 1
    return [*parts, expr[start:].strip()] if parts else None


def rename_type(expr: str, renames: dict[str, str]) -> str:
    if members := _union(expr):
        return "|".join(rename_type(m, renames) for m in members)
    if m := _LIST.match(expr):
        return f"list[{rename_type(m.group(1), renames)}]"
    if m := _MAP.match(expr):
        return f"map[{rename_type(m.group(1), renames)}]"
    return renames.get(expr, expr)


def type_refs(expr: str) -> list[str]:
    """The declared type names an expression refers to."""
    if members := _union(expr):
        return [ref for m in members for ref in type_refs(m)]
    if m := _LIST.match(expr):
        return type_refs(m.group(1))
    if m := _MAP.match(expr):
        return type_refs(m.group(1))
    return [] if expr in SCALARS else [expr]


def _rename_fields(fields: list[Field], renames: dict[str, str]) -> list[Field]:
    return [msgspec.structs.replace(f, type=rename_type(f.type, renames)) for f in fields]


def load_product(folder: Path) -> ProductModel:
    """Read ``folder/spec/api.json`` and ``overrides.json`` (optional) and merge them."""
    name = folder.name
    api_path = folder / "spec" / "api.json"
    over_path = folder / "spec" / "overrides.json"
    spec: Spec = _read(api_path, Spec, name)
    overrides: Overrides = _read(over_path, Overrides, name) if over_path.is_file() else Overrides()
    where = {"file": str(over_path), "product": name}
    if spec.product != name:
        raise SpecError(
            f"declares product {spec.product!r} but lives in products/{name}",
            file=str(api_path),
            product=name,
        )
    types, renames = _apply_type_patches(spec.types, overrides.types, where)
    types = {
        n: msgspec.structs.replace(t, fields=_rename_fields(t.fields, renames))
        for n, t in types.items()
    }
    known = {a.name for a in spec.actions}
    for patched in overrides.actions:
        if patched not in known:
            raise SpecError(
                "overrides patch an action that does not exist", **where, action=patched
            )
    for row, model_name in overrides.rows.items():
        if model_name not in known:
            raise SpecError(
                f"overrides pair README row {row!r} with {model_name}, which api.json lacks: "
                "run cdnetworks-codegen import-go",
                **where,
                action=model_name,
            )
    actions: list[ActionModel] = []
    skipped: list[tuple[str, str]] = []
    product_envelope = overrides.envelope or spec.envelope
    for action in spec.actions:
        patch = overrides.actions.get(action.name, ActionPatch())
        if patch.skip:
            skipped.append((action.name, patch.skip))
            continue
        actions.append(_merge_action(action, patch, overrides, renames, product_envelope, where))
    _lenient_codes(actions, types)
    model = ProductModel(name, folder, spec, overrides, actions, types, skipped)
    check(model, where)
    from .shapes import merge_shapes  # it reads ProductModel: imported once both exist

    model.shape_aliases = merge_shapes(model)
    return model


def _lenient_codes(actions: list[ActionModel], types: dict[str, TypeDef]) -> None:
    """A response's result code decodes as text or a number, whichever the service sends:
    upstream types it either way, and the envelope compares it as text."""
    for action in actions:
        envelope = action.envelope or Envelope()
        typedef = types.get(action.spec.response.type or "")
        if envelope.code is None or typedef is None:
            continue
        typedef.fields[:] = [
            msgspec.structs.replace(f, type="str|int")
            if f.wire == envelope.code and f.type in ("str", "int")
            else f
            for f in typedef.fields
        ]


def _merge_action(
    action: Action,
    patch: ActionPatch,
    overrides: Overrides,
    renames: dict[str, str],
    product_envelope: Envelope | None,
    where: dict[str, str],
) -> ActionModel:
    w = {**where, "action": action.name}
    fields = _patch_fields(action.request, patch.fields, patch.add, patch.order, w)
    response = action.response
    if patch.response is not None:
        changes = {
            k: v
            for k, v in msgspec.structs.asdict(patch.response).items()
            if k != "why" and v is not None
        }
        response = msgspec.structs.replace(response, **changes)
    if response.type is not None:
        response = msgspec.structs.replace(response, type=rename_type(response.type, renames))
    action = msgspec.structs.replace(
        action,
        method=(patch.method or action.method).upper(),
        path=patch.path or action.path,
        idempotent=patch.idempotent if patch.idempotent is not None else action.idempotent,
        summary=patch.summary or action.summary,
        doc=patch.doc or action.doc,
        paging=patch.paging or action.paging,
        batch=patch.batch or action.batch,
        request=_rename_fields(fields, renames),
        response=response,
    )
    # One model holds every request field, so a wire name used in two places (a query and a
    # body field both called dryRun) needs a distinct key there: the later one is keyed
    # "in:wire" (query:dryRun), which the core strips when it writes the query or headers.
    seen: set[str] = set()
    keyed = []
    for f in action.request:
        if f.wire in seen:
            f = msgspec.structs.replace(
                f, wire=f"{f.location}:{f.wire}", name=f.name or py_name(f) + f"_{f.location}"
            )
        seen.add(f.wire)
        keyed.append(f)
    # A path placeholder cannot be left out: its field is required whatever upstream says.
    placeholders = set(_PLACEHOLDER.findall(action.path))
    keyed = [
        msgspec.structs.replace(f, required=True)
        if f.wire in placeholders and not f.required
        else f
        for f in keyed
    ]
    # The request id is the core's (``request_id`` on every answer), never a declared header.
    headers = [h for h in action.response.headers if h.wire.lower() != "x-cnc-request-id"]
    action = msgspec.structs.replace(
        action,
        request=keyed,
        response=msgspec.structs.replace(action.response, headers=headers),
    )
    request_class = f"{action.name}Request"
    type_patch = overrides.types.get(request_class)
    return ActionModel(
        spec=action,
        request_class=request_class,
        fields=action.request,
        response_class=response.type or f"{action.name}Response",
        envelope=response.envelope or product_envelope,
        request_doc=type_patch.description if type_patch else None,
        request_post_init=type_patch.post_init if type_patch else None,
    )


def check(model: ProductModel, where: dict[str, str]) -> None:
    """Every reference resolves, every name is usable, no two things share a name."""
    answers = reachable(
        model, [a.spec.response.type for a in model.actions if a.spec.response.type]
    )
    asked = reachable(
        model, [r for a in model.actions for f in a.fields for r in type_refs(f.type)]
    )
    for tname, typedef in model.types.items():
        if not _NAME.match(tname):
            raise SpecError(f"type name {tname!r} is not an identifier", **where)
        w = {**where, "action": f"type {tname}"}
        _check_fields(model, typedef.fields, w, request=False)
        for f in typedef.fields:
            if f.lenient_number and tname in asked:
                raise SpecError(
                    "lenient_number applies to answers: a request reaches this type",
                    **w,
                    field=f.wire,
                )
            if f.int_text and tname in answers:
                raise SpecError(
                    "int_text applies to request fields: a response's number sent as text is "
                    'typed "int" with lenient_number',
                    **w,
                    field=f.wire,
                )
    methods: dict[str, str] = {}
    classes = set(model.types)
    for action in model.actions:
        spec = action.spec
        w = {**where, "action": spec.name}
        if not _NAME.match(spec.name):
            raise SpecError("the action name is not an identifier", **w)
        if spec.method not in METHODS:
            raise SpecError(f"{spec.method!r} is not an HTTP method", **w)
        if "*" in spec.path:
            raise SpecError(
                f"path {spec.path!r} has an unnamed segment *: name it with a path field in "
                "overrides",
                **w,
            )
        if not spec.path.startswith("/"):
            raise SpecError(f"path {spec.path!r} must start with /", **w)
        if action.method_name in methods:
            raise SpecError(
                f"method {action.method_name} would serve {methods[action.method_name]} too", **w
            )
        methods[action.method_name] = spec.name
        if action.request_class in classes:
            raise SpecError(f"class {action.request_class} is declared twice", **w)
        classes.add(action.request_class)
        _check_fields(model, action.fields, w, request=True)
        wires = {f.wire for f in action.fields}
        for placeholder in _PLACEHOLDER.findall(spec.path):
            if placeholder not in wires:
                raise SpecError(
                    f"path placeholder {{{placeholder}}} has no request field",
                    **w,
                    field=placeholder,
                )
        for f in action.fields:
            if f.location == "path" and "{" + f.wire + "}" not in spec.path:
                raise SpecError("a path field the path does not name", **w, field=f.wire)
            if f.location == "body" and spec.method in ("GET", "HEAD"):
                raise SpecError(
                    f"a {spec.method} sends no body: declare the field in the query "
                    '(overrides: "in": "query")',
                    **w,
                    field=f.wire,
                )
        response = spec.response
        if response.body == "json":
            if response.type is None or response.type not in model.types:
                raise SpecError(
                    f"response type {response.type!r} is not declared", **w, field="response"
                )
        elif response.type is not None:
            raise SpecError(f"a {response.body!r} response has no JSON type", **w, field="response")
        if spec.paging is not None:
            _check_paging(model, action, w)
        if spec.batch is not None:
            check_batch(model, action, w)
    for waiter in model.overrides.waiters:
        _check_waiter(model, waiter, methods, where)
    for job in model.overrides.jobs:
        check_job(model, job, methods, where)


def _check_fields(
    model: ProductModel, fields: list[Field], where: dict[str, str], *, request: bool
) -> None:
    seen: dict[str, str] = {}
    for f in fields:
        name = py_name(f)
        if not _NAME.match(name):
            raise SpecError(f"Python name {name!r} is not an identifier", **where, field=f.wire)
        if name in seen:
            raise SpecError(
                f"fields {seen[name]!r} and {f.wire!r} share the Python name {name!r}: "
                "rename one in overrides",
                **where,
                field=f.wire,
            )
        seen[name] = f.wire
        for ref in type_refs(f.type):
            if ref not in model.types:
                raise SpecError(f"type {ref!r} is not declared", **where, field=f.wire)
        if f.flag is not None and (len(f.flag) != 2 or f.type != "str"):
            raise SpecError(
                "flag takes the wire texts of True and False, on a str field",
                **where,
                field=f.wire,
            )
        if f.int_text and f.type != "str":
            raise SpecError("int_text applies to str fields", **where, field=f.wire)
        if f.int_text and (f.flag or f.enum):
            raise SpecError("int_text excludes flag and enum", **where, field=f.wire)
        if f.csv and not _LIST.match(f.type):
            raise SpecError("csv applies to list fields", **where, field=f.wire)
        if f.lenient_number and (
            request
            or sorted(p.strip() for p in f.type.split("|")) not in (["float", "int"], ["int"])
        ):
            raise SpecError(
                "lenient_number applies to response fields of type int or int | float",
                **where,
                field=f.wire,
            )
        if not request and f.location != "body":
            raise SpecError("only request fields have a location", **where, field=f.wire)


def reachable(model: ProductModel, roots: list[str]) -> set[str]:
    """The declared types ``roots`` name and every type they reach."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in seen or name not in model.types:
            continue
        seen.add(name)
        for f in model.types[name].fields:
            pending += type_refs(f.type)
    return seen


def _field_named(fields: list[Field], name: str | None) -> Field | None:
    return next((f for f in fields if py_name(f) == name), None)


def resolve_path(model: ProductModel, type_name: str, dotted: str) -> str:
    """The type expression at ``dotted`` (Python names) from ``type_name``; SpecError if none."""
    current = type_name
    for part in dotted.split("."):
        base = current
        if m := _LIST.match(base):
            base = m.group(1)
        typedef = model.types.get(base)
        found = _field_named(typedef.fields, part) if typedef else None
        if found is None:
            raise SpecError(f"{dotted!r}: {base} has no field {part!r}")
        current = found.type
    return current


def _check_paging(model: ProductModel, action: ActionModel, where: dict[str, str]) -> None:
    paging = action.spec.paging
    assert paging is not None
    w = {**where, "field": "paging"}
    names = {py_name(f) for f in action.fields}
    needed = [paging.page_size] + ([paging.marker] if paging.style == "marker" else [paging.page])
    for name in needed:
        if name not in names:
            raise SpecError(f"paging names request field {name!r}, which does not exist", **w)
        if any(f.int_text for f in action.fields if py_name(f) == name):
            raise SpecError(f"paging counts {name!r} as an int: it cannot be int_text", **w)
    try:
        items = resolve_path(model, action.response_class, paging.items)
        if not _LIST.match(items):
            raise SpecError(f"paging items {paging.items!r} is not a list", **w)
        if paging.style == "marker":
            if paging.marker_from is None:
                raise SpecError("marker paging needs marker_from", **w)
            resolve_path(model, items, paging.marker_from)
        if paging.total:
            resolve_path(model, action.response_class, paging.total)
    except SpecError as exc:
        raise SpecError(str(exc), **w) from None


def check_batch(model: ProductModel, action: ActionModel, where: dict[str, str]) -> None:
    batch = action.spec.batch
    assert batch is not None
    w = {**where, "field": "batch"}
    if not batch.items:
        raise SpecError("batch declares no items", **w)
    for item in batch.items:
        f = next((f for f in action.fields if f.wire == item.field), None)
        if f is None or f.type != "list[str]":
            raise SpecError(f"batch item {item.field!r} is not a list[str] request field", **w)
    if batch.max_items is not None and batch.max_items < 1:
        raise SpecError("batch max_items must be at least 1", **w)
    names = {a.spec.name for a in model.actions}
    if batch.status is not None and batch.status not in names:
        raise SpecError(f"batch status {batch.status!r} is not an action", **w)
    if batch.quota is not None:
        quota = batch.quota
        kinds = {i.quota for i in batch.items if i.quota}
        if set(quota.remaining) != kinds:
            raise SpecError(f"batch quota must say where each of {sorted(kinds)} remains", **w)
        if "." not in quota.action:
            if quota.action not in names:
                raise SpecError(f"batch quota action {quota.action!r} is not an action", **w)
            for attribute in quota.remaining.values():
                resolve_path(model, model.action(quota.action).response_class, attribute)


def check_job(
    model: ProductModel, job: Job, methods: dict[str, str], where: dict[str, str]
) -> None:
    w = {**where, "action": job.method, "field": "jobs"}
    if job.method in methods:
        raise SpecError("a job cannot share its name with an action's method", **w)
    try:
        action = model.action(job.action)
    except KeyError:
        raise SpecError(f"job runs {job.action!r}, which is not an action", **w) from None
    batch = action.spec.batch
    if batch is None:
        raise SpecError(f"job runs {job.action}, which declares no batch limits", **w)
    fields = {i.field for i in batch.items}
    for param, wire in job.params.items():
        if wire not in fields:
            raise SpecError(f"job argument {param!r} fills {wire!r}, not a batched field", **w)
    if job.batch_size < 1:
        raise SpecError("job batch_size must be at least 1", **w)


def _check_waiter(
    model: ProductModel, waiter: Waiter, methods: dict[str, str], where: dict[str, str]
) -> None:
    w = {**where, "action": waiter.method, "field": "waiters"}
    if waiter.method in methods:
        raise SpecError("a waiter cannot share its name with an action's method", **w)
    try:
        action = model.action(waiter.action)
    except KeyError:
        raise SpecError(f"waiter polls {waiter.action!r}, which is not an action", **w) from None
    if _field_named(action.fields, waiter.subject_field) is None:
        raise SpecError(f"{waiter.action} has no request field {waiter.subject_field!r}", **w)
    try:
        items = resolve_path(model, action.response_class, waiter.items)
        if not _LIST.match(items):
            raise SpecError(f"waiter items {waiter.items!r} is not a list", **w)
        resolve_path(model, items, waiter.key)
        resolve_path(model, items, waiter.state)
    except SpecError as exc:
        raise SpecError(str(exc), **w) from None
