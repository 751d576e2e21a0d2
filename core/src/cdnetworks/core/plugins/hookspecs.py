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

from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from .markers import hookspec

if TYPE_CHECKING:
    from ..action import Product
    from ..errors import CdnetworksError
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
