"""Built-in plugin: log every attempt, retry and call on the stdlib logger ``cdnetworks``.

Levels: each attempt and each finished call at DEBUG, retries at INFO, plugin failures at
WARNING. Headers are logged through an allow-list (everything else, ``Authorization`` included,
shows as ``[redacted]``); bodies only with ``LoggingPlugin(log_bodies=True)``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import httpx

from ..errors import CdnetworksError
from .markers import hookimpl

SAFE_HEADERS = frozenset(
    {
        "accept",
        "content-length",
        "content-type",
        "date",
        "host",
        "retry-after",
        "user-agent",
        "x-cnc-accesskey",
        "x-cnc-auth-method",
        "x-cnc-request-id",
        "x-cnc-timestamp",
    }
)
REDACTED = "[redacted]"
BODY_LIMIT = 2048


def redact_headers(
    headers: Mapping[str, str], allowed: frozenset[str] = SAFE_HEADERS
) -> dict[str, str]:
    return {k: (v if k.lower() in allowed else REDACTED) for k, v in headers.items()}


def _excerpt(body: bytes) -> str:
    text = body[:BODY_LIMIT].decode("utf-8", "replace")
    return text + (f"... ({len(body)} bytes)" if len(body) > BODY_LIMIT else "")


class LoggingPlugin:
    """Request line, status, duration, attempt and request id for every attempt."""

    name = "cdnetworks.logging"

    def __init__(self, *, log_bodies: bool = False, logger: logging.Logger | None = None) -> None:
        self.log_bodies = log_bodies
        self.logger = logger or logging.getLogger("cdnetworks")

    @hookimpl
    def cdnetworks_after_response(
        self,
        action: str,
        attempt: int,
        request: httpx.Request,
        response: httpx.Response | None,
        error: Exception | None,
        duration: float,
        request_id: str | None,
    ) -> None:
        log = self.logger
        if not log.isEnabledFor(logging.DEBUG):
            return
        outcome = (
            f"HTTP {response.status_code}"
            if response is not None
            else f"{type(error).__name__}: {error}"
        )
        log.debug(
            "%s %s %s -> %s in %.1f ms (attempt %d, request id %s)",
            action,
            request.method,
            request.url,
            outcome,
            duration * 1000,
            attempt,
            request_id or "-",
        )
        log.debug("%s request headers: %s", action, redact_headers(request.headers))
        if response is not None:
            log.debug("%s response headers: %s", action, redact_headers(response.headers))
        if self.log_bodies:
            log.debug("%s request body: %s", action, _excerpt(request.content))
            if response is not None:
                log.debug("%s response body: %s", action, _excerpt(response.content))

    @hookimpl
    def cdnetworks_on_retry(self, action: str, attempt: int, delay: float, reason: str) -> None:
        self.logger.info(
            "%s attempt %d failed (%s); retrying in %.2f s", action, attempt, reason, delay
        )

    @hookimpl
    def cdnetworks_call_finished(
        self,
        action: str,
        attempts: int,
        duration: float,
        status_code: int | None,
        request_id: str | None,
        outcome: str,
        error: CdnetworksError | None,
    ) -> None:
        if not self.logger.isEnabledFor(logging.DEBUG):
            return  # before the arguments are formatted: every call of every client runs this
        self.logger.debug(
            "%s finished: %s after %d attempt(s) in %.1f ms (status %s, request id %s)%s",
            action,
            outcome,
            attempts,
            duration * 1000,
            status_code if status_code is not None else "-",
            request_id or "-",
            f": {error}" if error is not None else "",
        )
