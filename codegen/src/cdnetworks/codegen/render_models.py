"""``models.py``: the msgspec request and response models of a product."""

from __future__ import annotations

from .annotations import GENERATED, field_line, literal
from .load import ActionModel, ProductModel, py_name, type_refs
from .spec import Field, TypeDef


def _post_init_lines(fields: list[Field], hook: str | None) -> list[str]:
    """Conveniences for models built directly (keyword arguments get them in the core), then
    the product's hand-written check."""
    body: list[str] = []
    for f in fields:
        name = py_name(f)
        if f.csv:
            body.append(f"if isinstance(self.{name}, str):")
            body.append(f'    self.{name} = self.{name}.split(",")')
        if f.flag:
            body.append(f"self.{name} = as_flag(self.{name}, {f.flag[0]!r}, {f.flag[1]!r})")
        if f.int_text:
            body.append(f"self.{name} = as_int_text(self.{name}, {name!r})")
    if hook:
        module, _, function = hook.partition(":")
        body.append(f"_{module}.{function}(self)")
    if not body:
        return []
    return ["", "    def __post_init__(self) -> None:", *(f"        {line}" for line in body)]


def _class(
    name: str,
    base: str,
    doc: str,
    fields: list[Field],
    *,
    request: bool,
    types: set[str],
    hook: str | None,
    headers: list[Field] | None = None,
) -> list[str]:
    doc_lines = doc.strip().splitlines()
    rest = doc_lines[1:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    body = [f"    {line}" if line else "" for line in rest]
    closing = ["", *body, '    """'] if body else []
    lines = [
        f"class {name}({base}, kw_only=True):",
        f'    """{doc_lines[0]}' + ("" if body else '"""'),
        *closing,
        "",
    ]
    for f in fields:
        lines.append("    " + field_line(f, request=request, type_names=types))
    for h in headers or ():
        # Filled from the response's headers, not from its body.
        lines.append(f"    {py_name(h)}: str | None = None")
    if not fields and not headers:
        lines.pop()
    lines += _post_init_lines(fields, hook)
    return [*lines, "", ""]


def _type_order(model: ProductModel) -> list[str]:
    """Types in dependency order (a type after those it refers to), else declaration order."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for f in model.types[name].fields:
            for ref in type_refs(f.type):
                visit(ref)
        done.append(name)

    for action in model.actions:
        if action.spec.response.type:
            visit(action.spec.response.type)
        for f in action.fields:
            for ref in type_refs(f.type):
                visit(ref)
    for name in model.types:
        visit(name)
    return done


def _response_names(model: ProductModel) -> set[str]:
    return {a.spec.response.type for a in model.actions if a.spec.response.type}


def _doc_for_type(model: ProductModel, name: str, typedef: TypeDef) -> str:
    if typedef.description:
        return typedef.description
    users = [a.spec.name for a in model.actions if a.spec.response.type == name]
    if users:
        return f"The answer of {', '.join(users)}."
    return _where_nested(model, name)


def _where_nested(model: ProductModel, name: str) -> str:
    """A nested type's description, from the facts: the fields that hold it, and how."""
    holders: list[str] = []
    owners = [(n, t.fields) for n, t in model.types.items()]
    owners += [(a.request_class, a.fields) for a in model.actions]
    for owner, fields in owners:
        for f in fields:
            if name in type_refs(f.type):
                if f.type.startswith(("list[", "map[")):
                    holders.append(f"an item of ``{owner}.{py_name(f)}``")
                else:
                    holders.append(f"the ``{py_name(f)}`` of ``{owner}``")
    if not holders:
        return f"The {name} object of the {model.name} API."
    shown = ", ".join(holders[:3]) + (f" and {len(holders) - 3} more" if len(holders) > 3 else "")
    return f"{shown[:1].upper()}{shown[1:]}."


def _request_doc(action: ActionModel) -> str:
    if action.request_doc:
        return action.request_doc
    spec = action.spec
    return f"The arguments of {spec.name} (``{spec.method} {spec.path}``)."


def _bodyless_fields(action: ActionModel) -> list[str]:
    """Fields of the result model of an action answering without a JSON body."""
    lines = ["    status_code: int = 0"]
    for header in action.spec.response.headers:
        lines.append(f"    {py_name(header)}: str | None = None")
    if action.spec.response.body == "text":
        lines.append('    body: str = ""')
    elif action.spec.response.body == "bytes":
        lines.append('    body: bytes = b""')
    return lines


def render_models(model: ProductModel) -> str:
    hooks = sorted(
        {
            hook.partition(":")[0]
            for hook in [t.post_init for t in model.types.values()]
            + [a.request_post_init for a in model.actions]
            if hook
        }
    )
    aliases: dict[str, list[object]] = {}
    for f in [f for t in model.types.values() for f in t.fields] + [
        f for a in model.actions for f in a.fields
    ]:
        if f.enum_name and f.enum:
            aliases.setdefault(f.enum_name, list(f.enum))
    out = [
        GENERATED,
        f'"""Request and response models of the {model.name} product.',
        "",
        "Attributes are snake_case; each carries its wire name (``msgspec.field(name=...)`` where",
        "it is not the camelCase of the attribute). Request models check types, enumerations and",
        "constraints before anything is sent; response models ignore unknown fields.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Annotated, Any, Literal",
        "",
        "import msgspec",
        "from msgspec import Meta",
        "",
        "from cdnetworks.core.action import as_flag, as_int_text",
        "from cdnetworks.core.models import ItemModel, RequestModel, ResponseModel",
        "",
    ]
    for module in hooks:
        out.append(f"from . import {module} as _{module}")
    out += ["", "__all__ = [", "]", ""]
    names: list[str] = []
    for alias, values in aliases.items():
        out.append(f"{alias} = {literal(values)}")
        names.append(alias)
    out += ["", ""]
    types = set(model.types)
    responses = _response_names(model)
    for name in _type_order(model):
        typedef = model.types[name]
        base = "ResponseModel" if name in responses else "ItemModel"
        headers = [
            h
            for a in model.actions
            if a.spec.response.type == name
            for h in a.spec.response.headers
        ]
        out += _class(
            name,
            base,
            _doc_for_type(model, name, typedef),
            typedef.fields,
            request=False,
            types=types,
            hook=typedef.post_init,
            headers=list({py_name(h): h for h in headers}.values()),
        )
        names.append(name)
    for action in model.actions:
        out += _class(
            action.request_class,
            "RequestModel",
            _request_doc(action),
            action.fields,
            request=True,
            types=types,
            hook=action.request_post_init,
        )
        names.append(action.request_class)
        if action.spec.response.type is None:
            spec = action.spec
            out += [
                f"class {action.response_class}(ResponseModel, kw_only=True):",
                f'    """The answer of {spec.name}: no JSON body, only the status and headers."""',
                "",
                *_bodyless_fields(action),
                "",
                "",
            ]
            names.append(action.response_class)
    text = "\n".join(out).rstrip() + "\n"
    exported = "".join(f'    "{n}",\n' for n in sorted(names))
    return text.replace("__all__ = [\n]", "__all__ = [\n" + exported + "]", 1)
