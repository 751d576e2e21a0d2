"""The API's documented rate limits, enforced when asked: sliding windows per account and action.

CDNetworks allows by default 300 requests per 5 minutes per account, and recommends at most 30
calls per 5 minutes for any single action; over either, the emulator answers 429 with a
``Retry-After`` that says when the oldest counted request leaves the window. Refused requests are
not counted, so a client that honours ``Retry-After`` gets through.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

from .services import ServiceError


@dataclass(frozen=True)
class ThrottleLimits:
    """Requests allowed per ``window`` seconds, per account and per (account, action)."""

    per_account: int = 300
    per_action: int = 30
    window: float = 300.0

    def __post_init__(self) -> None:
        if self.per_account < 1 or self.per_action < 1 or self.window <= 0:
            raise ValueError("throttle limits must be positive")


class Throttled(ServiceError):
    """A 429 answer; ``retry_after`` is whole seconds, as the header carries it."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(429, "TooManyRequests", message)
        self.retry_after = retry_after


class Throttle:
    def __init__(self, limits: ThrottleLimits) -> None:
        self.limits = limits
        self._hits: dict[tuple[str, str | None], deque[float]] = {}
        self._lock = threading.Lock()

    def _window(self, key: tuple[str, str | None], now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        horizon = now - self.limits.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        return hits

    def admit(self, account: str, action: str | None, now: float) -> None:
        """Count the request, or raise `Throttled` without counting it."""
        with self._lock:
            windows = [(self._window((account, None), now), self.limits.per_account, "account")]
            if action is not None:
                windows.append(
                    (self._window((account, action), now), self.limits.per_action, action)
                )
            for hits, limit, scope in windows:
                if len(hits) >= limit:
                    wait = max(1, math.ceil(hits[0] + self.limits.window - now))
                    what = "this account" if scope == "account" else f"action {scope}"
                    raise Throttled(
                        f"rate limit exceeded: {limit} requests per "
                        f"{self.limits.window:g} s for {what}; retry after {wait} s",
                        wait,
                    )
            for hits, _, _ in windows:
                hits.append(now)

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()
