"""``client.py``: typed sync and async clients, one method per action, walk and waiter.

Every method has real keyword arguments (``Literal`` enumerations kept) so IDEs and
``mypy --strict`` see them; each body hands them to the core client's one generic ``call``.
"""

from __future__ import annotations

from .annotations import GENERATED, argument_type
from .load import ActionModel, ProductModel, py_name, type_refs
from .render_actions import item_type, summary, waiter_constant
from .render_jobs import job_constants, job_imports, job_methods
from .spec import Field, Waiter


def _kwargs(fields: list[Field], indent: str) -> list[str]:
    """Keyword parameters of an implementation: every one optional (a request model may
    stand in for them), so the overloads alone say which are required."""
    return [f"{indent}{py_name(f)}: {argument_type(f)} | None = None," for f in fields]


def typed_kwargs(fields: list[Field], indent: str) -> list[str]:
    """Keyword parameters as a caller must give them: a required field without a default is a
    required keyword (listed first, for readable signatures); the model's optionals stay
    optional. Shared by every generated method that takes an action's fields (methods, walks,
    and the job methods rendered elsewhere)."""
    required = [f for f in fields if f.required and f.default is None]
    optional = [f for f in fields if f not in required]
    return [f"{indent}{py_name(f)}: {argument_type(f)}," for f in required] + _kwargs(
        optional, indent
    )


def overloads(
    name: str,
    request_class: str,
    fields: list[Field],
    result: str,
    *,
    asynchronous: bool,
    extra: list[str] | None = None,
) -> list[str]:
    """The ``@overload`` stubs of a method taking a request model or its fields as keywords.

    One takes the model positionally, one the keywords (required ones without a default);
    the implementation that follows accepts both, so ``mypy --strict`` and pyright refuse a
    call missing a required argument. ``extra`` holds further keyword parameters (already
    rendered, each with its default) that both forms take. Methods with no required field
    need none (an empty list comes back): their one signature already tells the truth.
    """
    if not any(f.required and f.default is None for f in fields):
        return []
    head = "async def" if asynchronous else "def"
    rest = extra or []
    model_form = [
        "    @overload",
        f"    {head} {name}(self, request: {request_class}, /"
        + (", *, " + " ".join(x.strip() for x in rest).rstrip(",") if rest else "")
        + f") -> {result}: ...",
    ]
    keyword_form = [
        "    @overload",
        f"    {head} {name}(",
        "        self,",
        "        *,",
        *typed_kwargs(fields, "        "),
        *rest,
        f"    ) -> {result}: ...",
    ]
    return [*model_form, *keyword_form]


def _call_args(fields: list[Field]) -> str:
    return ", ".join(f"{py_name(f)}={py_name(f)}" for f in fields)


def _docstring(lines: list[str], indent: str) -> list[str]:
    rest = lines[1:]
    while rest and not rest[0]:
        rest = rest[1:]  # one blank line after the summary, whoever wrote the lines
    if not rest:
        return [f'{indent}"""{lines[0]}"""']
    return [
        f'{indent}"""{lines[0]}',
        "",
        *[f"{indent}{x}" if x else "" for x in rest],
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
    stubs = overloads(
        action.method_name,
        action.request_class,
        action.fields,
        action.response_class,
        asynchronous=asynchronous,
    )
    lines = [
        *stubs,
        f"    {head} {action.method_name}(",
        "        self,",
        f"        request: {action.request_class} | None = None,",
    ]
    # With overloads the stubs alone make the model positional: mypy (2.x) misjudges an
    # implementation whose optional first parameter is positional-only as not accepting the
    # keyword form. No field is called ``request`` (a reserved name), so nothing clashes.
    if not stubs:
        lines.append("        /,")
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
    filters = action.walk_filters
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
        *typed_kwargs(filters, "        "),
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
    lines += _docstring(doc, "        ")
    keys = waiter.keys_param or "None"
    lines += [
        f"        waiter: Waiter[{result}] = {waiter_constant(waiter)}.start(",
        f"            {waiter.subject},",
        f"            {keys},",
        "            schedule=Schedule(timeout, poll_interval, max_interval, backoff),",
        f"            success={waiter.success_param},",
        f"            failure={waiter.failure_param},",
        "            progress=progress,",
        "        )",
        f"        return {'await ' if asynchronous else ''}self._wait(waiter)",
        "",
    ]
    return lines


def _legacy_alias(action: ActionModel, asynchronous: bool) -> list[str]:
    """The method under its name before the naming rule learnt to spell acronyms, kept as a
    deprecated alias (``query_p2_p_bandwidth`` of ``query_p2p_bandwidth``)."""
    old, new = action.legacy_method_name, action.method_name
    if old is None:
        return []
    head = "async def" if asynchronous else "def"
    call = f"{'await ' if asynchronous else ''}self.{new}(*args, **kwargs)"
    return [
        f"    {head} {old}(self, *args: Any, **kwargs: Any) -> {action.response_class}:",
        f'        """Deprecated alias of `{new}` (renamed in 0.2; removed in 1.0)."""',
        f'        renamed("{old}", "{new}")',
        f"        return {call}",
        "",
    ]


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
        lines += _legacy_alias(action, asynchronous)
    for action in model.actions:
        if action.spec.paging is not None:
            lines += _iter_method(model, action, asynchronous)
    for waiter in model.overrides.waiters:
        lines += _waiter_method(model, waiter, asynchronous)
    lines += job_methods(model, asynchronous)
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
    constants += job_constants(model)
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
    jobs = job_imports(model)
    if jobs:
        abc += ["Callable", "Iterable"]
    if abc:
        out += [f"from collections.abc import {', '.join(sorted(set(abc)))}"]
    if jobs:
        out += ["from os import PathLike"]
    overloaded = any(f.required and f.default is None for a in model.actions for f in a.fields)
    legacy = any(a.legacy_method_name for a in model.actions)
    typing_names = ["Any"] if legacy else []
    typing_names += ["Literal"] + (["overload"] if overloaded else [])
    out += [f"from typing import {', '.join(typing_names)}", ""]
    out += jobs[3:]
    base = ["AsyncProductClient", "ProductClient"] + (["renamed"] if legacy else [])
    out.append(f"from cdnetworks.core.product_client import {', '.join(base)}")
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
