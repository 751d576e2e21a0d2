"""The product's reference page and the product index, written from facts alone.

Every action shows its HTTP method and path, the client method, every request field (Python
name, wire name, where it travels, type, whether required, constraints, enumeration, default,
example) and every field of the answer, nested types included.
"""

from __future__ import annotations

from .annotations import GENERATED, base_type, enum_type
from .examples import example, value_list
from .load import ActionModel, ProductModel, py_name, type_refs
from .render_actions import summary
from .spec import Field

_CONSTRAINTS = (
    ("min_length", "length ≥ {}"),
    ("max_length", "length ≤ {}"),
    ("ge", "≥ {}"),
    ("gt", "> {}"),
    ("le", "≤ {}"),
    ("lt", "< {}"),
    ("pattern", "matches `{}`"),
)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _number(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _rules(f: Field) -> str:
    parts = [
        fmt.format(_number(getattr(f, key)))
        for key, fmt in _CONSTRAINTS
        if getattr(f, key) is not None
    ]
    if f.enum:
        parts.append("one of " + ", ".join(f"`{v}`" for v in f.enum))
    if f.flag:
        parts.append(f"a bool, sent as `{f.flag[0]}` / `{f.flag[1]}`")
    if f.int_text:
        parts.append("an int, sent as text")
    if f.csv:
        parts.append("a list or comma-separated text")
    if f.lenient_number:
        parts.append("numeric text arrives as a number; other text is kept")
    if f.default is not None:
        parts.append(f"default `{f.default}`")
    values = value_list(f)
    if values is not None and not f.enum:
        parts.append("values " + ", ".join(f"`{v}`" for v in values))
    elif example(f) is not None:
        parts.append(f"e.g. `{f.example}`")
    if f.description:
        parts.append(f.description)
    return _cell("; ".join(parts))


def _type(f: Field) -> str:
    return "`" + _cell(base_type(f.type, enum_type(f) and None)) + "`"


def _request_table(action: ActionModel) -> list[str]:
    if not action.fields:
        return ["No arguments.", ""]
    lines = [
        "| argument | wire name | in | type | required | rules |",
        "|---|---|---|---|---|---|",
    ]
    for f in action.fields:
        lines.append(
            f"| `{py_name(f)}` | `{f.wire}` | {f.location} | {_type(f)} | "
            f"{'yes' if f.required else ''} | {_rules(f)} |"
        )
    return [*lines, ""]


def _type_tables(model: ProductModel, *roots: str) -> list[str]:
    """The ``roots`` (a response type, or a request's nested types) and every type they
    reach, one table each."""
    lines: list[str] = []
    pending, seen = list(roots), set()
    while pending:
        name = pending.pop(0)
        if name in seen or name not in model.types:
            continue
        seen.add(name)
        typedef = model.types[name]
        lines += [f"`{name}`", ""]
        if not typedef.fields:
            lines += ["No fields (besides `request_id`).", ""]
            continue
        lines += ["| field | wire name | type | notes |", "|---|---|---|---|"]
        for f in typedef.fields:
            lines.append(f"| `{py_name(f)}` | `{f.wire}` | {_type(f)} | {_rules(f)} |")
            pending += type_refs(f.type)
        lines.append("")
    return lines


def _envelope_text(action: ActionModel) -> str:
    envelope = action.envelope
    if envelope is None:
        return "Success: `code` `0` (or no `code`); any other code raises `BusinessError`."
    if envelope.code is None:
        return "The body carries no result code: a 2xx is a success."
    codes = ", ".join(f"`{c}`" for c in envelope.success)
    return (
        f"Success: `{envelope.code}` is {codes} (or absent); any other `{envelope.code}` raises "
        f"`BusinessError` with `{envelope.message}` as its message."
    )


def _action(model: ProductModel, action: ActionModel) -> list[str]:
    spec = action.spec
    lines = [
        f"### {spec.name}",
        "",
        summary(action) if spec.summary else f"`{spec.method} {spec.path}`",
        "",
        f"- HTTP: `{spec.method} {spec.path}`",
        f"- Python: `client.{action.method_name}(...)` → `{action.response_class}`; CLI: "
        f"`cdnetworks {model.name} {action.method_name.replace('_', '-')}`",
        f"- Retried on failure: {'yes' if _idempotent(action) else 'no (not idempotent)'}",
    ]
    if spec.paging:
        lines.append(
            f"- Pages by {spec.paging.style}: `client.{spec.paging.method}(...)` walks every "
            "page (CLI: `--paginate`)"
        )
    lines += [f"- {_envelope_text(action)}", "", "Arguments:", "", *_request_table(action)]
    nested = [ref for f in action.fields for ref in type_refs(f.type)]
    if nested:
        lines += ["Types in the arguments:", "", *_type_tables(model, *nested)]
    if spec.response.body == "json" and spec.response.type:
        lines += ["Answer:", "", *_type_tables(model, spec.response.type)]
    else:
        heads = ", ".join(f"`{py_name(h)}` (`{h.wire}`)" for h in spec.response.headers)
        lines += [
            f"Answer: no JSON body; `{action.response_class}` carries `status_code`"
            + (f", {heads}" if heads else "")
            + (", `body`" if spec.response.body in ("text", "bytes") else "")
            + ".",
            "",
        ]
    return lines


def _idempotent(action: ActionModel) -> bool:
    if action.spec.idempotent is not None:
        return action.spec.idempotent
    return action.spec.method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")


def render_reference(model: ProductModel) -> str:
    lines = [
        f"<!-- {GENERATED[2:]} -->",
        f"# {model.distribution}",
        "",
        model.summary,
        "",
        f"Install `pip install {model.distribution}`, import `cdnetworks.{model.name}`.",
    ]
    if model.overrides.docs_url:
        lines += ["", f"Official API documentation: <{model.overrides.docs_url}>."]
    if model.spec.go_package:
        lines += ["", f"Go SDK package: `cdnetworks/{model.spec.go_package}`."]
    if model.overrides.spelling:
        lines += ["", spelling_note(model)]
    lines += [
        "",
        "## Clients",
        "",
        f"::: cdnetworks.{model.name}.{model.client_class}",
        "    options:",
        "      members: false",
        "",
        f"::: cdnetworks.{model.name}.{model.async_client_class}",
        "    options:",
        "      members: false",
        "",
    ]
    extra = [(a.spec.paging.method, a.spec.name) for a in model.actions if a.spec.paging]
    waiters = model.overrides.waiters
    if extra or waiters:
        lines += [
            "## Walks and waiters",
            "",
            "| method | polls or walks | what it does |",
            "|---|---|---|",
        ]
        for method, name in extra:
            lines.append(f"| `{method}` | {name} | every item, page after page |")
        for w in waiters:
            lines.append(
                f"| `{w.method}` | {w.action} | until `{w.state}` is one of "
                + ", ".join(f"`{s}`" for s in w.success)
                + (
                    " (fails on " + ", ".join(f"`{s}`" for s in w.failure) + ")"
                    if w.failure
                    else ""
                )
                + " |"
            )
        lines.append("")
    lines += ["## Actions", "", "| action | HTTP | client method |", "|---|---|---|"]
    for action in model.actions:
        spec = action.spec
        anchor = spec.name.lower()
        lines.append(
            f"| [{spec.name}](#{anchor}) | `{spec.method} {spec.path}` | `{action.method_name}` |"
        )
    lines.append("")
    for action in model.actions:
        lines += _action(model, action)
    uncovered = not_covered(model)
    if uncovered:
        lines += ["## Not covered", "", "| action | method | path | why |", "|---|---|---|---|"]
        lines += [
            f"| {name} | {method} | `{path}` | {_cell(why)} |"
            for name, method, path, why in uncovered
        ]
        lines += [
            "",
            "Call these with `Client.invoke`: see [Actions not covered](../not-covered.md).",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def not_covered(model: ProductModel) -> list[tuple[str, str, str, str]]:
    """``(action, method, path, why)`` of every action of the product that is not modelled:
    those the source lists without a model, and those the overrides skip."""
    rows = [(u.name, u.method, u.path, u.why) for u in model.spec.not_covered]
    paths = {a.name: a for a in model.spec.actions}
    for name, why in model.skipped:
        action = paths[name]
        rows.append((name, action.method, action.path, why))
    return rows


_RECIPE = """\
```python
# docs: no-run (calls the live API)
from cdnetworks.core import Client

with Client() as client:  # keys from CDNETWORKS_ACCESS_KEY / CDNETWORKS_SECRET_KEY
    # domainconfigurtion's Updatedomainsrcinfo: PUT /api/basicconfig/advancedsource/*
    # The path with its * replaced by the (URL-encoded) value; the body as the API's
    # documentation gives it.
    body = {"originConfig": {}}
    result = client.invoke("PUT", "/api/basicconfig/advancedsource/www.example.com", json=body)
    print(result.status_code, result.request_id, result.data)
```
"""


def render_not_covered(models: list[ProductModel]) -> str:
    """The one page listing every action of every product that has no typed method."""
    rows = [
        (model.name, *row)
        for model in sorted(models, key=lambda m: m.name)
        for row in not_covered(model)
    ]
    lines = [
        f"<!-- {GENERATED[2:]} -->",
        "# Actions not covered",
        "",
        f"{len(rows)} actions the Go SDK lists have no typed method here, each for the reason "
        "given. They are still callable with `Client.invoke(method, path, params=..., json=...)`, "
        "which signs the request like any other call and returns the decoded JSON "
        "(see the reference of `cdnetworks.core`):",
        "",
        _RECIPE,
        "| product | action | method | path | why |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| [{product}](reference/{product}.md) | {name} | {method} | `{path}` | {_cell(why)} |"
        for product, name, method, path, why in rows
    ]
    return "\n".join(lines) + "\n"


def spelling_note(model: ProductModel) -> str:
    return (
        f"The name `{model.name}` keeps the Go SDK's spelling (for "
        f"*{model.overrides.spelling}*), so that the product is found under the name Go users know."
    )


def render_index(models: list[ProductModel]) -> str:
    lines = [
        f"<!-- {GENERATED[2:]} -->",
        "# Products",
        "",
        "Every product is its own distribution: install one, or all with "
        '`pip install "cdnetworks-sdk[all]"`. The actions the Go SDK lists without a model '
        "are in [Actions not covered](not-covered.md).",
        "",
        "| product | Go package | actions | install | reference | API documentation |",
        "|---|---|---|---|---|---|",
    ]
    for model in sorted(models, key=lambda m: m.name):
        go = f"`{model.spec.go_package}`" if model.spec.go_package else ""
        docs = f"[official]({model.overrides.docs_url})" if model.overrides.docs_url else ""
        lines.append(
            f"| {model.name} | {go} | {len(model.actions)} | `pip install {model.distribution}` "
            f"| [reference](reference/{model.name}.md) | {docs} |"
        )
    misspelt = [m for m in sorted(models, key=lambda m: m.name) if m.overrides.spelling]
    if misspelt:
        lines += [
            "",
            "Names kept as the Go SDK spells them: "
            + ", ".join(f"`{m.name}` (*{m.overrides.spelling}*)" for m in misspelt)
            + ".",
        ]
    return "\n".join(lines) + "\n"


def render_commands_page(model: ProductModel) -> str:
    """The CLI reference of the product: the site's hook fills in every command's help."""
    return "\n".join(
        [
            f"<!-- {GENERATED[2:]} -->",
            f"# `cdnetworks {model.name}`",
            "",
            f"The commands of {model.title}: one per API action"
            + (", plus the waiters" if model.overrides.waiters else "")
            + ". This page is built from the command's own parser when the site is built; "
            f"`cdnetworks {model.name} COMMAND --help` prints the same. The "
            f"[reference](../reference/{model.name}.md) describes every action and field. Global "
            "options go before or after the command ([the list](../cli.md#global-options)).",
            "",
            f"<!-- cdnetworks-cli: {model.name} -->",
            "",
        ]
    )
