"""``client.py``: typed sync and async clients, one method per action, walk and waiter.

Every method has real keyword arguments (``Literal`` enumerations kept) so IDEs and
``mypy --strict`` see them; each body hands them to the core client's one generic ``call``.
"""

from __future__ import annotations

from .annotations import GENERATED, argument_type
from .load import ActionModel, ProductModel, py_name, type_refs
from .render_actions import item_type, summary, waiter_constant
from .spec import Field, Waiter


def _kwargs(fields: list[Field], indent: str) -> list[str]:
    return [f"{indent}{py_name(f)}: {argument_type(f)} | None = None," for f in fields]


def _call_args(fields: list[Field]) -> str:
    return ", ".join(f"{py_name(f)}={py_name(f)}" for f in fields)


def _docstring(lines: list[str], indent: str) -> list[str]:
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [
        f'{indent}"""{lines[0]}',
        "",
        *[f"{indent}{x}" if x else "" for x in lines[1:]],
        f'{indent}"""',
    ]


def _action_method(action: ActionModel, asynchronous: bool) -> list[str]:
    spec = action.spec
    doc = [f"{summary(action)} ({spec.name}, ``{spec.method} {spec.path}``)."]
    if spec.summary is None:
        doc = [f"{spec.name}: ``{spec.method} {spec.path}``."]
    if spec.doc:
        doc += ["", *spec.doc.splitlines()]
    if spec.method == "POST" and spec.idempotent is not True:
        doc += ["", "Not idempotent: not retried once the request may have reached the server."]
    head = "async def" if asynchronous else "def"
    call = "await self.core.call" if asynchronous else "self.core.call"
    lines = [
        f"    {head} {action.method_name}(",
        "        self,",
        f"        request: {action.request_class} | None = None,",
        "        /,",
    ]
    if action.fields:
        lines.append("        *,")
        lines += _kwargs(action.fields, "        ")
    lines.append(f"    ) -> {action.response_class}:")
    lines += _docstring([line for line in doc if line is not None], "        ")
    args = _call_args(action.fields)
    lines.append(f"        return {call}({action.constant}, request{', ' + args if args else ''})")
    return [*lines, ""]


def _iter_method(model: ProductModel, action: ActionModel, asynchronous: bool) -> list[str]:
    paging = action.spec.paging
    assert paging is not None
    skip = {paging.page_size, paging.page} if paging.style == "page" else {paging.page_size}
    filters = [f for f in action.fields if py_name(f) not in skip]
    item = item_type(model, action.response_class, paging.items)
    walk = paging.walk_class or "Walk"
    target = "" if paging.walk_class else f"{action.constant}, "
    iterator = "AsyncIterator" if asynchronous else "Iterator"
    lines = [
        f"    def {paging.method}(",
        "        self,",
        "        *,",
        f"        page_size: int = {paging.default_page_size},",
        "        limit: int | None = None,",
        *_kwargs(filters, "        "),
        f"    ) -> {iterator}[{item}]:",
    ]
    usage = "async for item in" if asynchronous else "for item in"
    lines += _docstring(
        [
            f"Every item of {action.spec.name} matching the filters, page after page.",
            "",
            "``page_size`` items per request; ``limit`` caps the items in total. Bad filters",
            f"raise here, before any call. Use as ``{usage} client.{paging.method}(...)``.",
        ],
        "        ",
    )
    mapping = ", ".join(f"{py_name(f)!r}: {py_name(f)}" for f in filters)
    annotation = "" if paging.walk_class else f": Walk[{item}]"
    lines.append(
        f"        walk{annotation} = {walk}({target}{{{mapping}}}, "
        "page_size=page_size, limit=limit)"
    )
    lines.append("        return self._walk(walk)")
    return [*lines, ""]


def _waiter_method(model: ProductModel, waiter: Waiter, asynchronous: bool) -> list[str]:
    action = model.action(waiter.action)
    item = item_type(model, action.response_class, waiter.items)
    value = f"{item} | None" if waiter.returns == "item" else "Mapping[str, str | None]"
    result = item if waiter.returns == "item" else "Mapping[str, str | None]"
    success = waiter.success_constant or _tuple_text(waiter.success)
    failure = waiter.failure_constant or _tuple_text(waiter.failure)
    head = "async def" if asynchronous else "def"
    lines = [f"    {head} {waiter.method}(", "        self,", f"        {waiter.subject}: str,"]
    if waiter.keys_param:
        lines.append(f"        {waiter.keys_param}: Collection[str] | None = None,")
    lines += [
        "        *,",
        f"        timeout: float = {waiter.timeout!r},",
        f"        poll_interval: float = {waiter.poll_interval!r},",
        f"        max_interval: float = {waiter.max_interval!r},",
        "        backoff: float = 1.5,",
        *(["        never_seen_grace: float = 30.0,"] if waiter.returns == "item" else []),
        f"        {waiter.success_param}: Collection[str] = {success},",
        f"        {waiter.failure_param}: Collection[str] = {failure},",
        f"        progress: Callable[[Progress[{value}]], object] | None = None,",
        f"    ) -> {result}:",
    ]
    doc = (waiter.doc or f"Poll {waiter.action} until the {waiter.label} is done.").splitlines()
    doc += [
        "",
        "Polls start poll_interval seconds apart, growing by the factor backoff up to",
        "max_interval. Fails with WaitFailedError when a final state is a failure, and with",
        "WaitTimeoutError after timeout seconds. progress, if given, is called with a Progress",
        "after every poll.",
    ]
    if waiter.returns == "item":
        doc += [
            "",
            f"A {waiter.label} never listed at all ends the wait with WaitNeverSeenError after",
            "never_seen_grace seconds (or the waiter's missing polls, whichever comes first).",
        ]
    lines += _docstring(doc, "        ")
    keys = waiter.keys_param or "None"
    lines += [
        f"        waiter: Waiter[{result}] = {waiter_constant(waiter)}.start(",
        f"            {waiter.subject},",
        f"            {keys},",
        (
            "            schedule=Schedule(timeout, poll_interval, max_interval, backoff, "
            "never_seen_grace),"
            if waiter.returns == "item"
            else "            schedule=Schedule(timeout, poll_interval, max_interval, backoff),"
        ),
        f"            success={waiter.success_param},",
        f"            failure={waiter.failure_param},",
        "            progress=progress,",
        "        )",
        f"        return {'await ' if asynchronous else ''}self._wait(waiter)",
        "",
    ]
    return lines


def _tuple_text(values: list[str]) -> str:
    return "(" + ", ".join(repr(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def _class(model: ProductModel, asynchronous: bool) -> list[str]:
    name = model.async_client_class if asynchronous else model.client_class
    base = "AsyncProductClient" if asynchronous else "ProductClient"
    kind = "Asynchronous" if asynchronous else "Synchronous"
    usage = (
        f"``async with {name}() as client:`` or ``await core_client.product({model.name!r})``"
        if asynchronous
        else f"``with {name}() as client:`` or ``core_client.product({model.name!r})``"
    )
    lines = [
        f"class {name}({base}):",
        *_docstring(
            [
                f"{kind} client of the {model.name} product: {len(model.actions)} actions.",
                "",
                f"Build it with the core client's settings, or wrap one: {usage}.",
            ],
            "    ",
        ),
        "",
        "    user_agent = USER_AGENT",
        "",
    ]
    for action in model.actions:
        lines += _action_method(action, asynchronous)
    for action in model.actions:
        if action.spec.paging is not None:
            lines += _iter_method(model, action, asynchronous)
    for waiter in model.overrides.waiters:
        lines += _waiter_method(model, waiter, asynchronous)
    return [*lines, ""]


def render_client(model: ProductModel) -> str:
    paging = [a for a in model.actions if a.spec.paging]
    waiters = model.overrides.waiters
    models = sorted(
        {a.request_class for a in model.actions}
        | {a.response_class for a in model.actions}
        | {item_type(model, a.response_class, a.spec.paging.items) for a in paging if a.spec.paging}
        | {
            item_type(model, model.action(w.action).response_class, w.items)
            for w in waiters
            if w.returns == "item"
        }
    )
    # Nested types that keyword arguments take (a request's WidgetSpec) are named too.
    models += [ref for a in model.actions for f in a.fields for ref in type_refs(f.type)]
    models = sorted({m for m in models if m in model.types or m.endswith(("Request", "Response"))})
    literals = sorted({f.enum_name for a in model.actions for f in a.fields if f.enum_name})
    abc = []
    if paging:
        abc += ["AsyncIterator", "Iterator"]
    if waiters:
        abc += ["Callable", "Collection", "Mapping"]
    walks = [a.spec.paging.walk_class for a in paging if a.spec.paging and a.spec.paging.walk_class]
    constants = [a.constant for a in model.actions] + [waiter_constant(w) for w in waiters]
    constants += [c for w in waiters for c in (w.success_constant, w.failure_constant) if c]
    out = [
        GENERATED,
        f'"""``{model.client_class}`` and ``{model.async_client_class}``: typed methods over the '
        "core clients.",
        "",
        "Each method takes a request model or keyword arguments (the snake_case of the wire",
        "names) and hands them to the core's generic ``call``, which validates, signs, sends,",
        "retries and decodes.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    if abc:
        out += [f"from collections.abc import {', '.join(sorted(abc))}"]
    out += ["from typing import Literal", ""]
    out.append("from cdnetworks.core.product_client import AsyncProductClient, ProductClient")
    if paging and len(walks) < len(paging):
        out.append("from cdnetworks.core.paging import Walk")
    if waiters:
        out.append("from cdnetworks.core.waiters import Progress, Schedule, Waiter")
    out += ["", "from ._version import __version__", "from .actions import ("]
    out += [f"    {c}," for c in sorted(set(constants + walks))]
    out += [")", "from .models import ("]
    out += [f"    {m}," for m in sorted(set(models) | set(literals))]
    out += [")", "", "__all__ = ["]
    out += [f'    "{model.async_client_class}",', f'    "{model.client_class}",', "]", ""]
    out += [
        "#: Appended to the core's ``User-Agent`` by clients built here.",
        f'USER_AGENT = f"{model.distribution}/{{__version__}}"',
        "",
        "",
    ]
    out += _class(model, asynchronous=False)
    out += [""]
    out += _class(model, asynchronous=True)
    return "\n".join(out).rstrip() + "\n"
