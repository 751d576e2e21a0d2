"""Client-side rate limiting (opt-in): stay under the API's limits instead of collecting 429s.

CDNetworks allows, by default, 300 requests per 5 minutes per account, counted over a sliding
window. ``RateLimiter(300, 300)`` keeps a client's attempts (retries included) under that: at most
``requests`` in any ``per_seconds`` window (a log of the last ``requests`` send times), and within
that, a token bucket of ``burst`` tokens refilled at ``requests / per_seconds`` a second. The
bucket alone is not enough: a full burst followed by the refill rate would send up to twice the
limit in the first window. One limiter may be shared by several clients (and threads) of the
same account. It counts when requests leave, the server when they arrive: leave a little
headroom (``RateLimiter(300, 305)``) when the limit must never be hit.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from .errors import ConfigurationError


class RateLimiter:
    """A token bucket; :meth:`reserve` books the next slot and says how long to wait for it."""

    def __init__(self, requests: int, per_seconds: float, *, burst: int | None = None) -> None:
        if requests < 1 or per_seconds <= 0:
            raise ConfigurationError("a rate limit needs requests >= 1 and per_seconds > 0")
        self.requests = requests
        self.per_seconds = per_seconds
        self.burst = burst if burst is not None else requests
        if self.burst < 1:
            raise ConfigurationError("burst must be at least 1")
        self._rate = requests / per_seconds
        self._tokens = float(self.burst)
        self._updated = time.monotonic()
        #: Send times of the last ``requests`` reservations (some may lie in the future).
        self._recent: deque[float] = deque(maxlen=requests)
        self._lock = threading.Lock()

    @classmethod
    def cdnetworks_default(cls) -> RateLimiter:
        """The documented account-wide limit, 300 requests per 5 minutes, with 5 s of headroom
        for the time between our send and the server's count."""
        return cls(300, 305.0)

    def reserve(self) -> float:
        """Take one token, possibly from the future; return seconds to wait before using it."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            self._tokens -= 1.0
            slot = now + (0.0 if self._tokens >= 0 else -self._tokens / self._rate)
            if len(self._recent) == self.requests:
                # The window is full: wait until the oldest of the last `requests` leaves it.
                slot = max(slot, self._recent[0] + self.per_seconds)
            self._recent.append(slot)
            return slot - now

    def __repr__(self) -> str:
        return f"RateLimiter({self.requests} per {self.per_seconds:g} s, burst={self.burst})"
