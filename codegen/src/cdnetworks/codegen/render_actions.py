"""``actions.py``: one `Action` value per action, the walks and the waiters, as data."""

from __future__ import annotations

from .annotations import GENERATED, base_type
from .load import ActionModel, ProductModel, py_name, resolve_path
from .render_jobs import batch_argument, has_batches, job_specs
from .spec import Envelope, Waiter


def _tuple(values: list[str]) -> str:
    if not values:
        return "()"
    return "(" + ", ".join(repr(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def _envelope(envelope: Envelope | None) -> str | None:
    if envelope is None:
        return None
    if envelope.code is None:
        return "NO_ENVELOPE"
    return (
        f"Envelope(code={envelope.code!r}, message={envelope.message!r}, "
        f"success={_tuple(envelope.success)})"
    )


def summary(action: ActionModel) -> str:
    spec = action.spec
    return spec.summary or f"{spec.name}: {spec.method} {spec.path}."


def item_type(model: ProductModel, response_class: str, dotted: str) -> str:
    """The Python type of one item of the list at ``dotted``."""
    expr = resolve_path(model, response_class, dotted)
    return base_type(expr[len("list[") : -1])


def _action(model: ProductModel, action: ActionModel) -> list[str]:
    spec = action.spec
    args = [
        f"    name={spec.name!r},",
        f"    method={spec.method!r},",
        f"    path={spec.path!r},",
        f"    request={action.request_class},",
        f"    response={action.response_class},",
        "    product=PRODUCT,",
        f"    summary={summary(action)!r},",
    ]
    if spec.idempotent is not None:
        args.append(f"    idempotent={spec.idempotent!r},")
    query = [f.wire for f in action.fields if f.location == "query"]
    headers = [f.wire for f in action.fields if f.location == "header"]
    body = [f.wire for f in action.fields if f.location == "body"]
    in_path = [f.wire for f in action.fields if f.location == "path"]
    if spec.method in ("GET", "HEAD"):
        if headers or any(f.location == "body" for f in action.fields):
            args.append(f"    query={_tuple(query)},")
    else:
        args.append(f"    query={_tuple(query)},")
        # The Go SDK sends a path field in the body too when it models it there.
        args.append(f"    body={_tuple(body)},")
    del in_path
    if headers:
        args.append(f"    headers={_tuple(headers)},")
    envelope = _envelope(action.envelope)
    if envelope:
        args.append(f"    envelope={envelope},")
    if spec.response.body != "json":
        args.append(f"    response_body={spec.response.body!r},")
    if spec.response.headers:
        mapping = ", ".join(f"{py_name(h)!r}: {h.wire!r}" for h in spec.response.headers)
        args.append(f"    response_headers={{{mapping}}},")
    csv = [py_name(f) for f in action.fields if f.csv]
    if csv:
        args.append(f"    csv={_tuple(csv)},")
    flags = {py_name(f): f.flag for f in action.fields if f.flag}
    if flags:
        inner = ", ".join(f"{k!r}: ({v[0]!r}, {v[1]!r})" for k, v in flags.items())
        args.append(f"    flags={{{inner}}},")
    int_texts = [py_name(f) for f in action.fields if f.int_text]
    if int_texts:
        args.append(f"    int_texts={_tuple(int_texts)},")
    if spec.paging is not None:
        p = spec.paging
        extra = [
            f"style={p.style!r}",
            f"method={p.method!r}",
            f"items={p.items!r}",
            f"page_size={p.page_size!r}",
            f"default_page_size={p.default_page_size!r}",
        ]
        for key in ("marker", "marker_from", "page", "total"):
            value = getattr(p, key)
            if value is not None:
                extra.append(f"{key}={value!r}")
        if p.style == "page":
            extra.append(f"first_page={p.first_page!r}")
        args.append(f"    paging=Paging({', '.join(extra)}),")
    batch = batch_argument(model, action)
    if batch is not None:
        args.append(batch)
    return [
        f"{action.constant}: Action[{action.request_class}, {action.response_class}] = Action(",
        *args,
        ")",
        f'"""{spec.name}: ``{spec.method} {spec.path}``."""',
        "",
    ]


def _walk(model: ProductModel, action: ActionModel) -> list[str]:
    paging = action.spec.paging
    assert paging is not None
    assert paging.walk_class
    item = item_type(model, action.response_class, paging.items)
    return [
        "",
        f"class {paging.walk_class}(Walk[{item}]):",
        f'    """Walks every page of {action.spec.name} ({paging.style} paging), free of I/O."""',
        "",
        "    def __init__(",
        "        self,",
        "        filters: Mapping[str, Any],",
        "        *,",
        f"        page_size: int = {paging.default_page_size},",
        "        limit: int | None = None,",
        "    ) -> None:",
        f"        super().__init__({action.constant}, filters, page_size=page_size, limit=limit)",
        "",
    ]


def waiter_constant(waiter: Waiter) -> str:
    return waiter.method.upper()


def _waiter(model: ProductModel, waiter: Waiter) -> list[str]:
    action = model.action(waiter.action)
    args = [
        f"    method={waiter.method!r},",
        f"    action={action.constant},",
        f"    subject={waiter.subject!r},",
        f"    subject_field={waiter.subject_field!r},",
        f"    items={waiter.items!r},",
        f"    key={waiter.key!r},",
        f"    state={waiter.state!r},",
        f"    returns={waiter.returns!r},",
        f"    label={waiter.label!r},",
        f"    item_label={waiter.item_label!r},",
        f"    success_param={waiter.success_param!r},",
        f"    failure_param={waiter.failure_param!r},",
    ]
    if waiter.subject_list:
        args.append("    subject_list=True,")
    if waiter.keys_param:
        args.append(f"    keys_param={waiter.keys_param!r},")
    if waiter.missing_polls != 3:
        args.append(f"    missing_polls={waiter.missing_polls!r},")
    if waiter.count is not None:
        args.append(f"    count={waiter.count!r},")
    if waiter.state_filter is not None:
        args.append(f"    state_filter={waiter.state_filter!r},")
    lines = [f"{waiter_constant(waiter)} = WaiterSpec(", *args, ")", ""]
    if waiter.success_constant:
        lines.insert(0, f"{waiter.success_constant} = {_tuple(waiter.success)}")
    if waiter.failure_constant:
        lines.insert(0, f"{waiter.failure_constant} = {_tuple(waiter.failure)}")
    return lines


def action_exports(model: ProductModel) -> list[str]:
    """The public names of ``actions.py`` (its ``__all__``, re-exported by the package)."""
    names = ["ACTIONS", *(a.constant for a in model.actions)]
    names += [
        a.spec.paging.walk_class
        for a in model.actions
        if a.spec.paging and a.spec.paging.walk_class
    ]
    names += [
        c for w in model.overrides.waiters for c in (w.success_constant, w.failure_constant) if c
    ]
    return sorted(names)


def render_actions(model: ProductModel) -> str:
    imports = sorted(
        {a.request_class for a in model.actions} | {a.response_class for a in model.actions}
    )
    walks = [a for a in model.actions if a.spec.paging and a.spec.paging.walk_class]
    walk_items = {
        item_type(model, a.response_class, a.spec.paging.items) for a in walks if a.spec.paging
    }
    imports = sorted(set(imports) | {w for w in walk_items if w in model.types})
    core = ["Action"]
    if any(a.envelope is not None and a.envelope.code is not None for a in model.actions):
        core.append("Envelope")
    if any(a.envelope is not None and a.envelope.code is None for a in model.actions):
        core.append("NO_ENVELOPE")
    if any(a.spec.paging for a in model.actions):
        core.append("Paging")
    out = [
        GENERATED,
        f'"""The {len(model.actions)} actions of the {model.name} product, one declarative '
        "value each.",
        "",
        "The typed client methods, the CLI, the emulator and the reference pages derive from",
        "these values.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    if walks:
        out += ["from collections.abc import Mapping", ""]
    out += ["from typing import Any", ""]
    out.append(f"from cdnetworks.core.action import {', '.join(sorted(core))}")
    if walks:
        out.append("from cdnetworks.core.paging import Walk")
    if has_batches(model):
        out.append("from cdnetworks.core.jobs.facts import BatchLimits, ItemRule, QuotaSource")
    if model.overrides.jobs:
        out.append("from cdnetworks.core.jobs.spec import JobSpec")
    if model.overrides.waiters:
        out.append("from cdnetworks.core.waiters import WaiterSpec")
    out += ["", "from .models import ("]
    out += [f"    {name}," for name in imports]
    out += [")", "", f"PRODUCT = {model.name!r}", ""]
    for action in model.actions:
        out += _action(model, action)
    constants = "".join(f"{a.constant}, " for a in model.actions)
    out += [
        f"ACTIONS: tuple[Action[Any, Any], ...] = ({constants})",
        '"""Every action, in the order of the spec."""',
        "",
    ]
    for action in walks:
        out += _walk(model, action)
    for waiter in model.overrides.waiters:
        out += ["", *_waiter(model, waiter)]
    out += job_specs(model)
    out += ["", "__all__ = [", *(f"    {n!r}," for n in action_exports(model)), "]"]
    return "\n".join(out).rstrip() + "\n"
