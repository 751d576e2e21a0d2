"""Classify one attempt's outcome: a value, or a typed error and whether a retry may help."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
import msgspec

from .action import DEFAULT_ENVELOPE
from .decoders import DECODE_ERRORS
from .envelope import envelope_of, is_success, top_level
from .errors import (
    ApiError,
    AuthenticationError,
    BusinessError,
    CdnetworksError,
    ClientUsageError,
    ConnectError,
    DecodeError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    ResponseTooLargeError,
    ServerError,
    ThrottledError,
    TransportError,
    TransportTimeoutError,
)
from .retry import RetryPolicy, parse_retry_after
from .signing import Clock

if TYPE_CHECKING:
    from .pipeline import CallSpec

T = TypeVar("T")

BODY_EXCERPT = 512

_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: ThrottledError,
}


@dataclass
class Outcome(Generic[T]):
    value: T | None = None
    error: CdnetworksError | None = None
    reason: str = ""
    retriable: bool = False
    reason_not_retriable: str | None = None
    retry_after: float | None = None
    timeout: bool = False


def _business_error(code: Any, message: Any, body: bytes, common: dict[str, Any]) -> Outcome[Any]:
    text = message if isinstance(message, str) and message else "the service reported a failure"
    shown = code if isinstance(code, str) else msgspec.json.encode(code).decode()
    error = BusinessError(text, code=shown, body=body[:BODY_EXCERPT], **common)
    return Outcome(error=error, reason=f"code {shown}")


def _may_retry(spec: CallSpec[Any], policy: RetryPolicy) -> bool:
    return spec.idempotent or policy.retry_non_idempotent


def _common(response: httpx.Response, spec: CallSpec[Any]) -> dict[str, Any]:
    """What every error of this response carries (looked up only when there is an error)."""
    return {
        "status_code": response.status_code,
        "request_id": response.headers.get("x-cnc-request-id"),
        "action": spec.action,
    }


def classify_response(
    response: httpx.Response, spec: CallSpec[T], policy: RetryPolicy
) -> Outcome[T]:
    status = response.status_code
    body = response.content

    if 200 <= status < 300:
        envelope = spec.envelope
        try:
            value = spec.decode(response)
        except DECODE_ERRORS as exc:
            common = _common(response, spec)
            # A refusal's body need not fit the success model: the envelope alone decides.
            if envelope.code is not None:
                present, raw, said = envelope_of(top_level(body), body, envelope)
                if present and not is_success(raw, envelope):
                    return _business_error(raw, said, body, common)
            what = "an empty body" if not body.strip() else "a body it could not decode"
            decode_error = DecodeError(
                f"HTTP {status} with {what}: {exc}; first bytes: {body[:BODY_EXCERPT]!r}",
                body=body[:BODY_EXCERPT],
                **common,
            )
            return Outcome(error=decode_error, reason="undecodable body")
        if envelope.code is not None:
            present, raw, said = envelope_of(value, body, envelope)
            if present and not is_success(raw, envelope):
                return _business_error(raw, said, body, _common(response, spec))
        return Outcome(value=value)

    common = _common(response, spec)
    code: str | None = None
    message = ""
    error_body = top_level(body) if body.lstrip()[:1] == b"{" else None
    if error_body is not None:
        # Error bodies are read with the action's field names, then the usual ones.
        names = spec.envelope if spec.envelope.code is not None else DEFAULT_ENVELOPE
        raw_code = error_body.get(names.code, error_body.get("code"))
        raw_message = error_body.get(names.message or "message", error_body.get("message"))
        if isinstance(raw_code, str | int) and not isinstance(raw_code, bool):
            code = str(raw_code)
        message = raw_message if isinstance(raw_message, str) else ""
    if not message:
        reason = response.reason_phrase or "error"
        excerpt = body[:200].decode("utf-8", "replace").strip()
        message = f"HTTP {status} {reason}" + (f": {excerpt}" if excerpt else " (empty body)")
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    api_error = cls(message, code=code, body=body[:BODY_EXCERPT], retry_after=retry_after, **common)
    reason = f"HTTP {status}" + (f" code {code}" if code else "")

    if Clock.rejected_stale_timestamp(response):
        # Rejected at the door, so safe for any method; the signer has adopted the server's
        # clock from this answer's Date header, so the next attempt's timestamp is good.
        return Outcome(
            error=api_error, reason=reason + " (clock skew; timestamp corrected)", retriable=True
        )
    if status in policy.retry_statuses:
        if _may_retry(spec, policy):
            return Outcome(error=api_error, reason=reason, retriable=True, retry_after=retry_after)
        return Outcome(
            error=api_error,
            reason=reason,
            reason_not_retriable=f"{spec.method} is not idempotent and may have taken effect",
        )
    return Outcome(error=api_error, reason=reason)


def classify_transport_error(
    exc: Exception | None,
    spec: CallSpec[T],
    policy: RetryPolicy,
    head: httpx.Response | None = None,
) -> Outcome[T]:
    """Classify a failed exchange; ``head`` is the status and headers when only the body failed."""
    assert exc is not None
    if head is None:
        return _transport_outcome(exc, spec, policy)
    status, request_id = head.status_code, head.headers.get("x-cnc-request-id")
    if isinstance(exc, httpx.DecodingError):
        # The server answered in full; its Content-Encoding would not decode. Not a network fault.
        error = DecodeError(
            f"HTTP {status} with a body whose Content-Encoding "
            f"({head.headers.get('content-encoding', 'none')}) could not be decoded: {exc}",
            status_code=status,
            request_id=request_id,
            body=b"",
            action=spec.action,
        )
        return Outcome(error=error, reason="undecodable Content-Encoding")
    outcome: Outcome[T] = _transport_outcome(exc, spec, policy)
    assert isinstance(outcome.error, TransportError)
    outcome.error.status_code, outcome.error.request_id = status, request_id
    outcome.reason = f"HTTP {status}, then {outcome.reason} while reading the body"
    return outcome


def classify_closed(spec: CallSpec[T]) -> Outcome[T]:
    """The client was closed while this call was in flight: nothing more is sent."""
    error = ClientUsageError(
        "the client was closed (close() or aclose()) while this call was in flight; "
        "the attempt was not sent. Close a client only once its calls have finished",
        action=spec.action,
    )
    return Outcome(error=error, reason="the client was closed")


def classify_too_large(head: httpx.Response, limit: int, spec: CallSpec[T]) -> Outcome[T]:
    """The body passed ``max_response_bytes``: a typed error that keeps status and request id."""
    status = head.status_code
    error = ResponseTooLargeError(
        f"HTTP {status} with a body larger than max_response_bytes ({limit} bytes once decoded); "
        "reading stopped there. Ask for less (a smaller page size) or raise max_response_bytes",
        status_code=status,
        request_id=head.headers.get("x-cnc-request-id"),
        limit=limit,
        action=spec.action,
    )
    return Outcome(error=error, reason=f"HTTP {status} body over {limit} bytes")


def _transport_outcome(exc: Exception, spec: CallSpec[T], policy: RetryPolicy) -> Outcome[T]:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    common: dict[str, Any] = {"action": spec.action}
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        error: TransportError = TransportTimeoutError(text, request_sent=False, **common)
        return Outcome(error=error, reason=text, retriable=True, timeout=True)
    if isinstance(exc, httpx.ConnectError):
        return Outcome(
            error=ConnectError(text, request_sent=False, **common), reason=text, retriable=True
        )
    if isinstance(exc, httpx.TimeoutException):
        error, timeout = TransportTimeoutError(text, **common), True
    elif isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        error, timeout = ProtocolError(text, **common), False
    else:
        # Unsupported protocol, proxy or local protocol errors: trying again will not help.
        return Outcome(error=TransportError(text, **common), reason=text)
    if _may_retry(spec, policy):
        return Outcome(error=error, reason=text, retriable=True, timeout=timeout)
    return Outcome(
        error=error,
        reason=text,
        timeout=timeout,
        reason_not_retriable=(
            f"{spec.method} is not idempotent and the request may have reached the server"
        ),
    )
