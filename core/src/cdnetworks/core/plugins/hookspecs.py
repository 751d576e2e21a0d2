"""The hook contract between the SDK and its plugins.

Each hook below says when it runs, what it receives and what it may return. Implement any of
them in a plugin (a module or an object) with ``@cdnetworks.core.hookimpl``; an implementation
may accept only the arguments it needs, by name, as pluggy allows.

Plugins reach a client in three ways: the ``cdnetworks.plugins`` entry-point group (third-party
hook plugins) and the ``cdnetworks.products`` group (products), both loaded automatically unless
``load_entry_points=False``, and ``Client(plugins=[...])``.

Hooks are synchronous and run on the calling thread (or event loop for ``AsyncClient``): keep
them quick. They are called in pluggy's order (``pm.hook.<name>(...)``), so ``tryfirst``,
``trylast``, ``wrapper=True`` and ``hookwrapper=True`` work as pluggy documents (an observer
hook with only plain implementations and no hook-call monitor is dispatched by the SDK itself,
in that same order: see ``PluginHost.notify``). Each plain
implementation of an observer hook (``after_response``, ``on_retry``, ``call_finished``) is
guarded: one that raises is logged on the ``cdnetworks`` logger with its plugin's name and the
others still run; the call goes on unchanged (an observer's wrapper that raises is logged too).
They run after the outcome of what they observe is decided (the response is classified and
decoded first), so changing a payload cannot change the call's result; treat payloads as
read-only all the same (``error`` in ``call_finished`` is the very exception the caller
receives).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from .markers import hookspec

if TYPE_CHECKING:
    from ..action import Product
    from ..errors import CdnetworksError
    from ..operations import AttributeValue, CallInfo, Operation
    from ..pipeline import RequestDraft
    from ..registry import DeferredProduct


@hookspec
def cdnetworks_register_products(register: Callable[[Product | DeferredProduct], None]) -> None:
    """Announce products: call ``register(product)`` once per `Product` or `DeferredProduct`.

    A `DeferredProduct` names the product and where its `Product` lives; the product's modules
    are imported only when something uses it, so installing many products does not make every
    client start slower. The generated products register that way.

    When: once, when the plugin host starts (client creation, or ``cdnetworks.core.products()``).
    Returns: nothing. A product name registered twice is an error naming both plugins.
    """


@hookspec
def cdnetworks_prepare_request(
    request: RequestDraft, action: str, attempt: int, call_id: str
) -> None:
    """Change the request before it is signed: add headers, query parameters, replace the body.

    When: before every attempt (so each retry starts from the action's original request), after
    the SDK built the request and before the signer runs; signing covers what you leave.
    Receives: the mutable `RequestDraft`, the action name, the attempt
    number (1-based) and an id shared by every hook of the same call.
    Returns: nothing; mutate ``request``. If it raises, the call fails with
    `PluginError` naming the plugin, and nothing is sent.
    """


@hookspec
def cdnetworks_after_response(
    action: str,
    attempt: int,
    call_id: str,
    request: httpx.Request,
    response: httpx.Response | None,
    error: Exception | None,
    duration: float,
    request_id: str | None,
) -> None:
    """Observe one attempt's outcome (for logging, metrics, tracing).

    When: after every attempt, whether it got an answer or a transport failure.
    Receives: the signed request as sent; the response (body read) or ``None`` with ``error``
    set to the httpx exception; the attempt's duration in seconds; the ``x-cnc-request-id``.
    Returns: nothing.
    """


@hookspec
def cdnetworks_on_retry(action: str, attempt: int, call_id: str, delay: float, reason: str) -> None:
    """A retry has been scheduled.

    When: after attempt ``attempt`` failed in a retriable way, before waiting ``delay`` seconds.
    Receives: ``reason``, a short text such as ``"HTTP 503"`` or ``"ConnectError: ..."``.
    Returns: nothing.
    """


@hookspec
def cdnetworks_call_finished(
    action: str,
    call_id: str,
    attempts: int,
    duration: float,
    status_code: int | None,
    request_id: str | None,
    outcome: str,
    error: CdnetworksError | None,
) -> None:
    """One call ended: exactly once per call, success or failure.

    Receives: the number of attempts made (0 when the call failed before sending), the total
    duration in seconds including waits, the last HTTP status and request id seen, ``outcome``
    (``"success"``, ``"error"``, or ``"cancelled"`` when the task was cancelled or a sync call
    interrupted) and the exception the caller is about to receive (``None`` unless ``"error"``).
    Returns: nothing.
    """


@hookspec
def cdnetworks_wrap_call(call: CallInfo) -> Generator[None, Any, Any]:  # type: ignore[empty-body]
    """Wrap a whole call, from before its first attempt to after its last (and its waits).

    Implement it only with ``@hookimpl(wrapper=True)``, as a generator that yields once (a
    plain implementation or ``hookwrapper=True`` is refused when the plugin is registered)::

        @hookimpl(wrapper=True)
        def cdnetworks_wrap_call(self, call):
            with tracer.start_as_current_span(f"{call.product}/{call.action}"):
                return (yield)  # the call runs here: its result, or its exception raised

    When: for every call (``call``, ``invoke`` and the typed methods; sync and async alike),
    before anything else of the call; resumed after ``cdnetworks_call_finished``, on the same
    thread or task, so what the code before the ``yield`` makes current (a context variable,
    a tracing span) is current in every other hook of the call (``prepare_request`` of each
    attempt, ``after_response``, ``on_retry``) and is reset by the code after it.
    Receives: the `CallInfo` (action, product, call id, HTTP method, URL without query, server,
    the operation it serves); its ``attempts``, ``status_code``, ``request_id``, ``outcome``
    (``"success"``, ``"error"``, ``"cancelled"``), ``error`` and ``duration`` are final when
    the wrapper resumes.
    Returns: as pluggy's ``wrapper=True``: the ``yield`` returns the call's result or raises its
    exception (a cancellation too: re-raise it); what the wrapper returns is the result, what it
    raises replaces the exception. Wrappers run outermost first, in pluggy's order. A wrapper
    that raises (of its own, before or after the ``yield``) or does not yield exactly once
    fails the call with `PluginError` naming it; before the ``yield``, nothing is sent.
    Cost: none when no plugin implements it.
    """


@hookspec
def cdnetworks_wrap_operation(operation: Operation) -> Generator[None, Any, Any]:  # type: ignore[empty-body]
    """Wrap an operation: work that makes several calls (a waiter, a walk, a job, a batch).

    Implement it with ``@hookimpl(wrapper=True)``, a generator that yields once, as
    ``cdnetworks_wrap_call``. The ``yield`` returns ``None`` or raises the operation's exception;
    the operation's outcome cannot be changed (an exception raised of its own is `PluginError`).

    When: the SDK's waiters (kind ``"waiter"``) and walks (``"walk"``) open one; the job runner
    opens ``"job"`` and ``"job.batch"``; any code may open its own with ``client.operation()``.
    A walk's operation lasts while the caller reads pages, and the caller's code runs between
    them: do not make anything current here. Link instead: each call's `CallInfo.operation` and
    each operation's `Operation.parent` name the operation they belong to.
    Receives: the `Operation` (kind, name, product, attributes, id, parent); its ``outcome``,
    ``error``, ``duration`` and final ``attributes`` are set when the wrapper resumes.
    """


@hookspec
def cdnetworks_operation_event(
    operation: Operation, name: str, attributes: Mapping[str, AttributeValue]
) -> None:
    """Something happened in an operation: a waiter's ``"poll"`` (attributes ``poll``,
    ``state``, ``finished``, and ``done`` / ``total`` when the waiter counts items), or what
    the code that opened the operation reports with `Operation.event`.

    When: right after it happened, on the operation's thread or task. Returns: nothing.
    """
