"""One call, from request to result, written once and free of I/O.

`run_call` is a generator. It yields `Send` (send this request, give me back the
response or the httpx exception) and `Sleep` (wait this long), and returns the decoded
result or raises the typed error. `cdnetworks.core.client` drives it with ``httpx.Client``
and ``time.sleep``, or with ``httpx.AsyncClient`` and ``anyio.sleep``; that is the only
difference between the sync and async clients.

Per attempt: copy the request -> ``prepare_request`` hooks -> build the httpx request (the
signer runs inside ``client.send`` as its ``auth``, on the final bytes) -> send ->
``after_response`` hooks -> classify as done, retry or fail -> decode.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

import httpx

from .action import DEFAULT_ENVELOPE, Envelope
from .classify import (
    Outcome,
    classify_closed,
    classify_response,
    classify_too_large,
    classify_transport_error,
)
from .config import Timeout
from .encoding import encode_query
from .errors import (
    AttemptFailure,
    CdnetworksError,
    TransportError,
    TransportTimeoutError,
    ValidationError,
)
from .exchange import BrokenBody, PoolClosed, TooLarge
from .internals import url_join
from .operations import CallInfo, current_operation
from .plugins.manager import PluginHost
from .plugins.wrapping import Wrappers
from .ratelimit import RateLimiter
from .retry import RetryPolicy, RetryQuota
from .signing import check_header

T = TypeVar("T")


@dataclass
class RequestDraft:
    """The request as plugins see it in ``cdnetworks_prepare_request``; mutate it freely.

    ``path`` is percent-encoded; ``query`` holds decoded ``(name, value)`` pairs that the SDK
    encodes (never with a literal ``+``); ``body`` is the exact bytes to send, or ``None``.
    """

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes | None


@dataclass(frozen=True)
class CallSpec(Generic[T]):
    """Everything the pipeline needs to make one call."""

    action: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: bytes | None
    idempotent: bool
    #: Turns a 2xx response into the value the caller gets (may raise msgspec errors).
    decode: Callable[[httpx.Response], T]
    #: How a 2xx body says it failed.
    envelope: Envelope = DEFAULT_ENVELOPE
    #: Headers the action sends from its request fields.
    headers: tuple[tuple[str, str], ...] = ()
    #: The product the action belongs to (``""`` for `Client.invoke`).
    product: str = ""


@dataclass(frozen=True)
class CallEnv:
    """What a client lends each call: where to send, how to retry, whom to tell."""

    base_url: httpx.URL
    headers: dict[str, str]
    timeout: Timeout
    retry: RetryPolicy
    quota: RetryQuota
    plugins: PluginHost
    rate_limiter: RateLimiter | None = None

    @cached_property
    def server(self) -> tuple[str, str, int]:
        """The base URL without a trailing ``/`` (paths are appended), its host and port."""
        base = self.base_url
        origin = f"{base.scheme}://{base.netloc.decode('ascii')}{base.path.rstrip('/')}"
        return origin, base.host, base.port or (443 if base.scheme == "https" else 80)


@dataclass(frozen=True)
class Send:
    request: httpx.Request
    #: ``time.monotonic()`` by which the exchange must end (the call's total), if any.
    deadline: float | None = None


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Acquire:
    """Wait for the rate limiter's slot for one attempt of ``action`` (it may ask a store)."""

    limiter: RateLimiter
    action: str


@dataclass(frozen=True)
class Pause:
    """An answer said ``Retry-After``: tell the rate limiter, so every caller of it waits."""

    limiter: RateLimiter
    seconds: float


@dataclass
class _CallState:
    attempts: int = 0
    status_code: int | None = None
    request_id: str | None = None
    history: list[AttemptFailure] = field(default_factory=list)
    outcome: str = ""
    duration: float = 0.0


Effect = Send | Sleep | Acquire | Pause
Pipeline = Generator[Effect, Any, T]


def _check_draft(draft: RequestDraft) -> None:
    """What plugins left in the draft must still be a request; say what is not."""

    def bad(what: str) -> ValidationError:
        return ValidationError(f"after cdnetworks_prepare_request: {what}", field="request")

    if not isinstance(draft.method, str) or not (draft.method.isascii() and draft.method.isalpha()):
        raise bad(f"method {draft.method!r} is not an HTTP method")
    if not isinstance(draft.path, str):
        raise bad(f"path must be a str, not {type(draft.path).__name__}")
    if not isinstance(draft.headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in draft.headers.items()
    ):
        raise bad("headers must map str names to str values")
    if not isinstance(draft.query, list) or not all(
        isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        for pair in draft.query
    ):
        raise bad("query must be a list of (str, str) pairs")
    if draft.body is not None and not isinstance(draft.body, bytes):
        raise bad(f"body must be bytes or None, not {type(draft.body).__name__}")


def _build(
    env: CallEnv, draft: RequestDraft, remaining: float | None, changed: bool
) -> httpx.Request:
    """The httpx request of a draft. ``changed``: a plugin may have altered the draft, so every
    part is checked again; otherwise its parts are the SDK's own, checked when they were made."""
    if changed:
        _check_draft(draft)
        for name, value in draft.headers.items():
            check_header(name, value)
    raw_path = draft.path.encode("ascii", "strict") if draft.path.isascii() else None
    if raw_path is None or not raw_path.startswith(b"/"):
        raise ValidationError(f"path {draft.path!r} must be an encoded absolute path", field="path")
    query = encode_query(draft.query)
    url = None if changed else _joined_url(env.base_url, draft.path, query)
    if url is None:
        full = (
            env.base_url.raw_path.rstrip(b"/")
            + raw_path
            + (b"?" + query.encode() if query else b"")
        )
        try:
            url = env.base_url.copy_with(raw_path=full)
        except httpx.InvalidURL as exc:
            raise ValidationError(f"the request URL is not valid: {exc}", field="path") from None
    return httpx.Request(
        draft.method,
        url,
        headers=draft.headers,
        content=draft.body,
        extensions={"timeout": env.timeout.for_attempt(remaining)},
    )


#: Well under httpx's limit on a URL's length (65,536), which ``copy_with`` enforces.
_SHORT_URL = 32_768


def _joined_url(base: httpx.URL, path: str, query: str) -> httpx.URL | None:
    """``base`` with ``path`` and ``query`` (both already percent-encoded by the SDK) joined
    through the `internals.url_join` seam; ``None``: use the public ``copy_with``."""
    if len(path) + len(query) > _SHORT_URL:
        return None  # let httpx judge (and refuse) a URL near its length limit
    return url_join(base, path, query)


def run_call(spec: CallSpec[T], env: CallEnv) -> Pipeline[T]:
    """The call's state machine; see the module docstring."""
    wrappers = env.plugins.call_wrappers()
    if wrappers is None:  # the usual case: not even a generator more
        return _attempts(spec, env, os.urandom(8).hex(), _CallState())
    return _wrapped(spec, env, wrappers)


def _wrapped(spec: CallSpec[T], env: CallEnv, wrappers: Wrappers) -> Pipeline[T]:
    """The call inside its ``cdnetworks_wrap_call`` wrappers (see `plugins.wrapping`)."""
    origin, host, port = env.server
    call = CallInfo(
        call_id=os.urandom(8).hex(),
        action=spec.action,
        product=spec.product,
        method=spec.method,
        url=origin + spec.path,
        server_address=host,
        server_port=port,
        operation=current_operation(),
    )
    opened = wrappers.enter({"call": call}, spec.action)
    state = _CallState()
    result: Any = None
    error: BaseException | None = None
    try:
        result = yield from _attempts(spec, env, call.call_id, state)
    except BaseException as exc:
        error = exc
    call.attempts, call.status_code, call.request_id = (
        state.attempts,
        state.status_code,
        state.request_id,
    )
    call.outcome, call.duration, call.error = state.outcome, state.duration, error
    return wrappers.exit(opened, result, error, spec.action)  # type: ignore[no-any-return]


def _attempts(spec: CallSpec[T], env: CallEnv, call_id: str, state: _CallState) -> Pipeline[T]:
    started = time.monotonic()
    deadline = started + env.timeout.total if env.timeout.total else None
    spent = 0
    try:
        while True:
            attempt = state.attempts + 1
            draft = RequestDraft(
                spec.method,
                spec.path,
                list(spec.query),
                {**env.headers, **dict(spec.headers)},
                spec.body,
            )
            changed = env.plugins.prepare_request(
                request=draft, action=spec.action, attempt=attempt, call_id=call_id
            )
            # Wait for a slot before the deadline check, so the wait counts against it.
            if env.rate_limiter is not None:
                yield Acquire(env.rate_limiter, spec.action)
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TransportTimeoutError(
                    f"total timeout of {env.timeout.total} s ran out before attempt {attempt}",
                    action=spec.action,
                    attempts=state.attempts,
                    history=tuple(state.history),
                    request_sent=False,
                )
            request = _build(env, draft, remaining, changed)
            state.attempts = attempt
            sent_at = time.monotonic()
            reply = yield Send(request, deadline)
            duration = time.monotonic() - sent_at
            head = reply.response if isinstance(reply, BrokenBody | TooLarge) else reply
            if isinstance(head, httpx.Response):
                state.status_code = head.status_code
                state.request_id = head.headers.get("x-cnc-request-id")
            response: httpx.Response | None = None
            error: Exception | None = None
            # Decide the outcome before observers run: changing the response cannot change it.
            outcome: Outcome[T]
            if isinstance(reply, httpx.Response):
                response = reply
                outcome = classify_response(response, spec, env.retry)
            elif isinstance(reply, TooLarge):
                outcome = classify_too_large(reply.response, reply.limit, spec)
            elif isinstance(reply, PoolClosed):
                outcome = classify_closed(spec)
            else:
                error = reply.error if isinstance(reply, BrokenBody) else reply
                outcome = classify_transport_error(
                    error, spec, env.retry, head if isinstance(reply, BrokenBody) else None
                )
            env.plugins.notify(
                "cdnetworks_after_response",
                action=spec.action,
                attempt=attempt,
                call_id=call_id,
                request=request,
                response=response,
                error=error,
                duration=duration,
                request_id=state.request_id if isinstance(head, httpx.Response) else None,
            )
            if outcome.error is None:
                env.quota.release(spent)
                _finish(env, spec, call_id, started, state, None)
                return outcome.value  # type: ignore[return-value]
            failure = AttemptFailure(
                attempt,
                outcome.reason,
                head.status_code if isinstance(head, httpx.Response) else None,
                state.request_id if isinstance(head, httpx.Response) else None,
            )
            state.history.append(failure)
            if outcome.retry_after is not None and env.rate_limiter is not None:
                yield Pause(env.rate_limiter, outcome.retry_after)
            delay = (
                outcome.retry_after
                if outcome.retry_after is not None
                else env.retry.backoff(attempt)
            )
            stop = _why_not_retry(outcome, env, attempt, deadline, delay)
            cost = None
            if stop is None:
                cost = env.quota.acquire(after_timeout=outcome.timeout)
                if cost is None:
                    stop = "the retry quota is exhausted (the service has been failing)"
            if stop is not None:
                error_out = outcome.error
                error_out.attempts = attempt
                error_out.history = tuple(state.history)
                if outcome.retriable:
                    error_out.message += f" (gave up after attempt {attempt}: {stop})"
                if _may_have_taken_effect(error_out, spec):
                    error_out.message += f"; {UNKNOWN_OUTCOME}"
                raise error_out
            assert cost is not None
            spent += cost
            env.plugins.notify(
                "cdnetworks_on_retry",
                action=spec.action,
                attempt=attempt,
                call_id=call_id,
                delay=delay,
                reason=outcome.reason,
            )
            if delay > 0:
                yield Sleep(delay)
    except CdnetworksError as exc:
        exc.action = exc.action or spec.action
        _finish(env, spec, call_id, started, state, exc)
        raise
    except BaseException as exc:
        # Cancelled (the task, or Ctrl-C in a sync call) while waiting on a Send or Sleep: the
        # driver threw the cancellation in here, so hooks still close their spans and counts,
        # and the retries this call paid for go back to the quota.
        env.quota.refund(spent)
        cancelled = not isinstance(exc, Exception)
        _finish(env, spec, call_id, started, state, None, "cancelled" if cancelled else "error")
        raise


#: Said of a non-idempotent request that failed after it may have reached the server.
UNKNOWN_OUTCOME = (
    "the request may have reached the server, so whether it took effect is unknown: "
    "check before sending it again"
)


def _may_have_taken_effect(error: CdnetworksError, spec: CallSpec[Any]) -> bool:
    """A non-idempotent request whose exchange broke after the request was sent (an answer,
    even a 5xx, says for itself that the server received it)."""
    return not spec.idempotent and isinstance(error, TransportError) and error.request_sent


def _why_not_retry(
    outcome: Outcome[Any], env: CallEnv, attempt: int, deadline: float | None, delay: float
) -> str | None:
    """``None`` when the failed attempt may be retried, else the reason it may not."""
    if not outcome.retriable:
        return (
            "not retriable"
            if outcome.reason_not_retriable is None
            else outcome.reason_not_retriable
        )
    if attempt >= env.retry.max_attempts:
        return f"max_attempts is {env.retry.max_attempts}"
    if outcome.retry_after is not None and outcome.retry_after > env.retry.max_retry_after:
        return (
            f"Retry-After asks for {outcome.retry_after:.0f} s, over the "
            f"{env.retry.max_retry_after:.0f} s the policy waits"
        )
    if deadline is not None and time.monotonic() + delay >= deadline:
        return "the total timeout leaves no time for another attempt"
    return None


def refused(env: CallEnv, action: str, error: CdnetworksError, started: float) -> None:
    """Tell ``call_finished`` of a call refused before its pipeline started (bad arguments, a
    closed client, connections of another process or event loop): attempts 0, as promised
    once for every call. ``started`` is when the caller made the call."""
    error.action = error.action or action
    env.plugins.notify(
        "cdnetworks_call_finished",
        action=action,
        call_id=os.urandom(8).hex(),
        attempts=0,
        duration=time.monotonic() - started,
        status_code=None,
        request_id=None,
        outcome="error",
        error=error,
    )


def _finish(
    env: CallEnv,
    spec: CallSpec[Any],
    call_id: str,
    started: float,
    state: _CallState,
    error: CdnetworksError | None,
    outcome: str | None = None,
) -> None:
    state.outcome = outcome or ("success" if error is None else "error")
    state.duration = time.monotonic() - started
    env.plugins.notify(
        "cdnetworks_call_finished",
        action=spec.action,
        call_id=call_id,
        attempts=state.attempts,
        duration=state.duration,
        status_code=state.status_code,
        request_id=state.request_id,
        outcome=state.outcome,
        error=error,
    )
