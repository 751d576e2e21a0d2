"""The exception tree.

Every exception the SDK raises derives from `CdnetworksError`. Errors that come from a
call carry the action name, the number of attempts made and, per attempt, why it failed, so the
final error of a retried call tells the whole story. None of them ever holds the secret key.

```
CdnetworksError
├── ConfigurationError          bad client configuration (endpoint, timeouts, ...)
│   └── CredentialsError        no credentials found, or a malformed credentials file
├── ValidationError             bad input, refused before any byte is sent
├── ClientUsageError            a client used after close(), in another event loop, or pickled
├── RateLimitBackendError       the shared rate limiter's store (Redis) failed; nothing was sent
├── PluginError                 a plugin failed while preparing a request
├── ApiError                    the API answered with an error
│   ├── AuthError               401 / 403
│   │   ├── AuthenticationError 401
│   │   └── PermissionDeniedError 403
│   ├── NotFoundError           404
│   ├── ThrottledError          429
│   ├── ServerError             5xx
│   └── BusinessError           2xx whose envelope ``code`` is not "0"
├── TransportError              the HTTP exchange itself failed
│   ├── ConnectError            no connection (the request was never sent)
│   ├── TransportTimeoutError   connect, read, write or pool timeout, or the total deadline
│   └── ProtocolError           connection reset, malformed HTTP, ...
├── DecodeError                 the answer was not the JSON the action expects
└── ResponseTooLargeError       the answer's body passed the client's ``max_response_bytes``
```
"""

from __future__ import annotations

from dataclasses import dataclass

#: C0 and C1 control characters and DEL, each written as an escape (``\\n``, ``\\x1b``), so that no
#: input echoed in a message (a path, a header, a server's text) can forge or split log lines.
_CONTROLS = {
    c: ("\\n" if c == 10 else "\\r" if c == 13 else "\\t" if c == 9 else f"\\x{c:02x}")
    for c in (*range(0x20), *range(0x7F, 0xA0))
}
# Line and paragraph separators split lines in some log viewers too.
_CONTROLS.update({0x2028: "\\u2028", 0x2029: "\\u2029"})


def escape_controls(text: str) -> str:
    """``text`` with every control character escaped (see `_CONTROLS`)."""
    return text.translate(_CONTROLS)


@dataclass(frozen=True)
class AttemptFailure:
    """Why one attempt of a call failed (kept in ``error.history``)."""

    attempt: int
    reason: str
    status_code: int | None = None
    request_id: str | None = None

    def __str__(self) -> str:
        return f"attempt {self.attempt}: {self.reason}"


class CdnetworksError(Exception):
    """Root of every exception raised by the SDK."""

    action: str | None
    attempts: int
    history: tuple[AttemptFailure, ...]

    def __init__(
        self,
        message: str,
        *,
        action: str | None = None,
        attempts: int = 0,
        history: tuple[AttemptFailure, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.action = action
        self.attempts = attempts
        self.history = history

    def __str__(self) -> str:
        parts = [self.message]
        if self.action:
            parts.insert(0, f"[{self.action}]")
        detail = self._details()
        if detail:
            parts.append(f"({detail})")
        if len(self.history) > 1:
            parts.append("; attempts: " + "; ".join(str(h) for h in self.history))
        return escape_controls(" ".join(parts))

    def _details(self) -> str:
        return f"attempts={self.attempts}" if self.attempts else ""


class ConfigurationError(CdnetworksError):
    """The client was configured in a way that cannot work (or would be unsafe)."""


class CredentialsError(ConfigurationError):
    """No usable credentials: lists every place that was looked at, or names the bad file line."""


class ValidationError(CdnetworksError, ValueError):
    """Input refused before anything was sent. ``field`` names the offending field."""

    def __init__(self, message: str, *, field: str | None = None, action: str | None = None):
        super().__init__(message, action=action)
        self.field = field

    def __str__(self) -> str:
        prefix = f"[{self.action}] " if self.action else ""
        where = f"{self.field}: " if self.field and not self.message.startswith(self.field) else ""
        return escape_controls(f"{prefix}{where}{self.message}")


class ClientUsageError(CdnetworksError):
    """A client was used in a way it cannot serve: after ``close()``, from a second event loop,
    or pickled / copied. Raised before anything is sent; the message says what to do instead."""


class RateLimitBackendError(CdnetworksError):
    """The shared rate limiter (or quota ledger) could not reach its store (Redis, Valkey) in
    time, and it fails closed: the request was not sent. ``backend`` is the store's URL with any
    password masked."""

    request_sent = False

    def __init__(self, message: str, *, backend: str, action: str | None = None) -> None:
        super().__init__(message, action=action)
        self.backend = backend


class PluginError(CdnetworksError):
    """A plugin raised while preparing a request; nothing was sent."""

    def __init__(self, message: str, *, plugin: str, hook: str, action: str | None = None):
        super().__init__(message, action=action)
        self.plugin = plugin
        self.hook = hook


class _ResponseError(CdnetworksError):
    """Shared attributes of errors that may stem from an HTTP answer."""

    status_code: int | None
    request_id: str | None

    def _details(self) -> str:
        bits = []
        if self.status_code is not None:
            bits.append(f"status={self.status_code}")
        code = getattr(self, "code", None)
        if code is not None:
            bits.append(f"code={code}")
        if self.request_id:
            bits.append(f"request_id={self.request_id}")
        if self.attempts:
            bits.append(f"attempts={self.attempts}")
        return ", ".join(bits)


class ApiError(_ResponseError):
    """The API answered with an error status, or a 2xx whose envelope says the call failed."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        request_id: str | None = None,
        action: str | None = None,
        attempts: int = 1,
        history: tuple[AttemptFailure, ...] = (),
        body: bytes = b"",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, action=action, attempts=attempts, history=history)
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        #: The first bytes of the answer's body, for diagnosis.
        self.body = body
        #: Seconds the server asked to wait (``Retry-After``), when it said so.
        self.retry_after = retry_after


class AuthError(ApiError):
    """The request was not authenticated (401) or not authorised (403)."""


class AuthenticationError(AuthError):
    """401: wrong keys, a bad signature, or a timestamp outside the 5-minute window."""


class PermissionDeniedError(AuthError):
    """403: the keys are valid but may not do this."""


class NotFoundError(ApiError):
    """404: the resource (or the route) does not exist."""


class ThrottledError(ApiError):
    """429: over the rate limit. ``retry_after`` says how long the server asked to wait."""


class ServerError(ApiError):
    """5xx: the service or a proxy in front of it failed."""


class BusinessError(ApiError):
    """A 2xx answer whose envelope ``code`` is not ``"0"``: the service refused the call."""


class TransportError(_ResponseError):
    """The HTTP exchange failed: no answer, or not a complete one."""

    def __init__(
        self,
        message: str,
        *,
        action: str | None = None,
        attempts: int = 1,
        history: tuple[AttemptFailure, ...] = (),
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, action=action, attempts=attempts, history=history)
        self.status_code = None
        self.request_id = None
        #: False when the failure happened before the request left (it never reached the server).
        self.request_sent = request_sent


class ConnectError(TransportError):
    """The connection could not be made; the request was never sent."""


class TransportTimeoutError(TransportError):
    """A connect, read, write or pool timeout, or the call's total deadline, ran out."""


class ProtocolError(TransportError):
    """The connection broke mid-exchange or the peer spoke malformed HTTP."""


class DecodeError(_ResponseError):
    """The answer could not be decoded as the action's response; keeps the first body bytes."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None,
        body: bytes,
        action: str | None = None,
        attempts: int = 1,
        history: tuple[AttemptFailure, ...] = (),
    ) -> None:
        super().__init__(message, action=action, attempts=attempts, history=history)
        self.status_code = status_code
        self.request_id = request_id
        self.body = body


class ResponseTooLargeError(_ResponseError):
    """The decoded body of an answer passed the client's ``max_response_bytes``; reading stopped.

    Not retried: the same request would bring the same answer. ``limit`` is the bound in bytes.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None,
        limit: int,
        action: str | None = None,
        attempts: int = 1,
        history: tuple[AttemptFailure, ...] = (),
    ) -> None:
        super().__init__(message, action=action, attempts=attempts, history=history)
        self.status_code = status_code
        self.request_id = request_id
        self.limit = limit
