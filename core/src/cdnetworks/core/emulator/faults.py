"""Fault injection: make the emulator misbehave the way networks, proxies and services do.

A `FaultRule` says which `Fault` to inject and when: at a ``rate`` (drawn from the
emulator's seeded generator, so a seed replays the same faults) and/or on given ``calls`` (1-based
numbers counted over the requests the rule applies to), optionally only for some ``actions``
(route names such as ``VMPCreateImage``, in any case, or ``"POST /vmp/images"``).

Where each fault strikes:

- `Latency`: the answer is delayed (several latencies add up). An in-process transport
  honours the request's read timeout and raises ``httpx.ReadTimeout`` as a socket would.
- `Drop`: the connection closes without an answer; by default before the service saw the
  request, with ``after_processing=True`` after it took effect (the case that makes blind retries
  of non-idempotent calls dangerous).
- `ErrorBurst`: ``length`` consecutive 5xx answers with a JSON error body, from the first
  call the rule fires on; the service does not see those requests.
- `Html`: a proxy's HTML error page; `Empty`: an error status with an empty body.
- `Malformed`: the service processes the request, then its JSON answer is cut short.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus

from .services import Reply


@dataclass(frozen=True)
class Latency:
    seconds: float


@dataclass(frozen=True)
class Drop:
    after_processing: bool = False


@dataclass(frozen=True)
class ErrorBurst:
    status: int = 503
    length: int = 1
    #: Seconds for a ``Retry-After`` header, if the answers should carry one.
    retry_after: float | None = None


@dataclass(frozen=True)
class Html:
    status: int = 502


@dataclass(frozen=True)
class Empty:
    status: int = 502


@dataclass(frozen=True)
class Malformed:
    pass


Fault = Latency | Drop | ErrorBurst | Html | Empty | Malformed


@dataclass(frozen=True, init=False)
class FaultRule:
    fault: Fault
    rate: float
    calls: frozenset[int]
    actions: frozenset[str] | None

    def __init__(
        self,
        fault: Fault,
        *,
        rate: float = 0.0,
        calls: Iterable[int] = (),
        actions: Iterable[str] | None = None,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {rate!r}")
        object.__setattr__(self, "fault", fault)
        object.__setattr__(self, "rate", rate)
        object.__setattr__(self, "calls", frozenset(calls))
        # Case-folded, so the API docs' "Vmpcreateimage" and the Go SDK's "VMPCreateImage" agree.
        object.__setattr__(
            self, "actions", None if actions is None else frozenset(a.lower() for a in actions)
        )

    def applies_to(self, names: tuple[str, ...]) -> bool:
        return self.actions is None or any(name.lower() in self.actions for name in names)


@dataclass
class FaultPlan:
    """What to do to one request: delay it, replace its answer before or after the service."""

    delay: float = 0.0
    before: Fault | None = None
    after: Fault | None = None
    #: Names of the faults that fired, for the emulator's exchange log.
    fired: list[str] = field(default_factory=list)


@dataclass
class _RuleState:
    rule: FaultRule
    seen: int = 0
    burst_left: int = 0


class FaultInjector:
    """The emulator's fault rules; add and clear them while it runs."""

    def __init__(self, rules: Iterable[FaultRule] = (), *, seed: int | str = 0) -> None:
        self._seed = f"{seed}:faults"
        self._rng = random.Random(self._seed)
        self._rules = [_RuleState(rule) for rule in rules]
        self._lock = threading.Lock()

    @property
    def rules(self) -> tuple[FaultRule, ...]:
        return tuple(state.rule for state in self._rules)

    def add(
        self,
        fault: Fault,
        *,
        rate: float = 0.0,
        calls: Iterable[int] = (),
        actions: Iterable[str] | None = None,
    ) -> FaultRule:
        rule = FaultRule(fault, rate=rate, calls=calls, actions=actions)
        with self._lock:
            self._rules.append(_RuleState(rule))
        return rule

    def clear(self) -> None:
        """Remove every rule and restart the random sequence."""
        with self._lock:
            self._rules.clear()
            self._rng.seed(self._seed)

    def plan(self, names: tuple[str, ...]) -> FaultPlan:
        """Decide the faults for the next request; ``names`` identify its action."""
        plan = FaultPlan()
        with self._lock:
            for state in self._rules:
                rule = state.rule
                if not rule.applies_to(names):
                    continue
                state.seen += 1
                if state.burst_left > 0:
                    state.burst_left -= 1
                    fires = True
                else:
                    fires = state.seen in rule.calls or (
                        rule.rate > 0 and self._rng.random() < rule.rate
                    )
                    if fires and isinstance(rule.fault, ErrorBurst):
                        state.burst_left = rule.fault.length - 1
                if not fires:
                    continue
                fault = rule.fault
                plan.fired.append(type(fault).__name__)
                if isinstance(fault, Latency):
                    plan.delay += fault.seconds
                elif isinstance(fault, Malformed) or (
                    isinstance(fault, Drop) and fault.after_processing
                ):
                    plan.after = plan.after or fault
                else:
                    plan.before = plan.before or fault
        return plan


_STATUS_CODES = {
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}

_HTML_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def answer_before(fault: Fault) -> Reply:
    """The answer a fault gives in place of the service's (``Drop`` has none: see the caller)."""
    if isinstance(fault, ErrorBurst):
        reply = Reply.error(
            fault.status,
            _STATUS_CODES.get(fault.status, "ServerError"),
            f"the service is temporarily unable to handle the request ({_reason(fault.status)})",
        )
        if fault.retry_after is not None:
            reply.headers.append(("Retry-After", f"{fault.retry_after:g}"))
        return reply
    if isinstance(fault, Html):
        page = _HTML_PAGE.format(status=fault.status, reason=_reason(fault.status))
        return Reply(fault.status, page.encode(), [("Content-Type", "text/html")])
    if isinstance(fault, Empty):
        return Reply(fault.status)
    raise TypeError(f"{fault!r} does not replace the answer before the service")


def spoil(reply: Reply) -> Reply:
    """Cut a JSON answer short, keeping its status and headers."""
    body = reply.body
    return Reply(
        reply.status, body[: max(1, len(body) // 2)] if len(body) > 1 else b"{", reply.headers
    )
