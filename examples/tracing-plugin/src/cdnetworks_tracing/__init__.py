"""Trace every CDNetworks API call: a W3C ``traceparent`` header and per-call timings.

A third-party hook plugin for the CDNetworks SDK for Python, packaged as its own distribution.
Installed, it is found through its ``cdnetworks.plugins`` entry point and every client loads
the module-level `plugin`; ``Client(plugins=[TracingPlugin(...)])`` registers a configured
instance instead (it replaces the entry point's, since both are named ``"tracing"``).

- ``cdnetworks_prepare_request`` gives each call a trace id and each attempt a fresh span id,
  sent as ``traceparent: 00-<trace id>-<span id>-01`` (retries share the trace id, so a tracing
  backend shows them as one operation).
- ``cdnetworks_after_response`` records each attempt's duration.
- ``cdnetworks_call_finished`` turns the call into a `Span`: kept in `spans`
  (the most recent ``keep``) and passed to ``on_span`` when given, e.g. to export it.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from cdnetworks.core import RequestDraft, hookimpl

__version__ = "0.1.0"
__all__ = ["Span", "TracingPlugin", "plugin"]


@dataclass(frozen=True)
class Span:
    """One finished call, as the tracing plugin saw it."""

    trace_id: str
    action: str
    outcome: str
    duration: float
    attempt_durations: tuple[float, ...]
    status_code: int | None
    request_id: str | None


@dataclass
class _OpenCall:
    trace_id: str
    attempt_durations: list[float] = field(default_factory=list)


class TracingPlugin:
    """Adds a ``traceparent`` header to every attempt and records a `Span` per call."""

    name = "tracing"

    def __init__(
        self,
        *,
        header: str = "traceparent",
        keep: int = 1000,
        on_span: Callable[[Span], None] | None = None,
    ) -> None:
        self.header = header
        self.on_span = on_span
        #: The most recent finished calls, oldest first.
        self.spans: deque[Span] = deque(maxlen=keep)
        # Calls in flight, by the SDK's call id. Hooks of one client may run on many threads
        # (or one event loop with many tasks), so the table is guarded.
        self._open: dict[str, _OpenCall] = {}
        self._lock = threading.Lock()

    @hookimpl
    def cdnetworks_prepare_request(self, request: RequestDraft, call_id: str) -> None:
        with self._lock:
            call = self._open.get(call_id)
            if call is None:
                call = self._open[call_id] = _OpenCall(trace_id=secrets.token_hex(16))
        request.headers[self.header] = f"00-{call.trace_id}-{secrets.token_hex(8)}-01"

    @hookimpl
    def cdnetworks_after_response(self, call_id: str, duration: float) -> None:
        with self._lock:
            call = self._open.get(call_id)
            if call is not None:
                call.attempt_durations.append(duration)

    @hookimpl
    def cdnetworks_call_finished(
        self,
        action: str,
        call_id: str,
        duration: float,
        status_code: int | None,
        request_id: str | None,
        outcome: str,
    ) -> None:
        with self._lock:
            # Popped here, exactly once per call, so the table never grows.
            call = self._open.pop(call_id, None)
        if call is None:  # the call failed before any request was prepared
            return
        span = Span(
            trace_id=call.trace_id,
            action=action,
            outcome=outcome,
            duration=duration,
            attempt_durations=tuple(call.attempt_durations),
            status_code=status_code,
            request_id=request_id,
        )
        self.spans.append(span)
        if self.on_span is not None:
            self.on_span(span)


#: The instance the ``cdnetworks.plugins`` entry point hands to every client.
plugin = TracingPlugin()
