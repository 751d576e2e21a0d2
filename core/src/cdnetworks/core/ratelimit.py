"""Client-side rate limiting (opt-in): stay under the API's limits instead of collecting 429s.

CDNetworks allows, by default, 300 requests per 5 minutes per account and recommends at most
30 per 5 minutes for any single action, both counted over a sliding window.
``RateLimiter.cdnetworks_default()`` keeps a client's attempts (retries included) under both.

Each limit is a `Window`: at most ``requests`` sends in any ``per_seconds`` (a log of the
last ``requests`` send times) and, within that, a token bucket of ``burst`` tokens refilled at
``requests / per_seconds`` a second. The bucket alone is not enough: a full burst followed by the
refill rate would send up to twice the limit in the first window. A send waits for the latest of
the slots its account window and its action window offer, and is booked in both.

One limiter may be shared by several clients (and threads) of the same account. It counts when
requests leave, the server when they arrive: leave a little headroom (``per_seconds`` slightly
above the server's window) when the limit must never be hit.

A ``Retry-After`` answer seen by one caller pauses every caller of the limiter until then
(`RateLimiter.pause`). For several processes or machines on one account, see
`cdnetworks.core.fleet.SharedRateLimiter`, which keeps the same windows in Redis or Valkey.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import NamedTuple

from .errors import ConfigurationError

#: A send leaving more than this after its booked slot is counted from when it left.
LATE = 0.02


class Window:
    """One limit: at most ``requests`` in any ``per_seconds``, smoothed by a token bucket."""

    def __init__(self, requests: int, per_seconds: float, burst: int | None = None) -> None:
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
        #: Send times of the last ``requests`` bookings (some may lie in the future).
        self._recent: deque[float] = deque(maxlen=requests)

    def earliest(self, now: float) -> float:
        """The first moment this window lets one more request leave."""
        tokens = min(self.burst, self._tokens + (now - self._updated) * self._rate)
        slot = now if tokens >= 1 else now + (1 - tokens) / self._rate
        if len(self._recent) == self.requests:
            # The window is full: wait until the oldest of the last `requests` leaves it.
            slot = max(slot, self._recent[0] + self.per_seconds)
        return slot

    def remember(self, sent: float) -> None:
        """Count a send made earlier (``sent`` on the monotonic clock) in the sliding log only:
        its token was spent and refilled long ago, but the server's window still counts it."""
        recent = sorted([*self._recent, sent])[-self.requests :]
        self._recent = deque(recent, maxlen=self.requests)

    def move(self, slot: float, sent: float) -> None:
        """A booking for ``slot`` really left at ``sent``: count it from then (if still logged)."""
        recent = list(self._recent)
        try:
            recent.remove(slot)
        except ValueError:
            return
        self._recent = deque(sorted([*recent, sent]), maxlen=self.requests)

    def book(self, slot: float, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self._rate) - 1.0
        self._updated = now
        self._recent.append(slot)

    def __repr__(self) -> str:
        return f"{self.requests} per {self.per_seconds:g} s"


class _Booked(NamedTuple):
    """What `RateLimiter.acquire` booked, until its request leaves."""

    windows: tuple[Window, ...]
    slot: float
    #: Seconds from the booking to the slot.
    wait: float


class RateLimiter:
    """Books a slot per attempt; `reserve` says how long to wait for it.

    ``requests`` per ``per_seconds`` for the account (``burst`` smooths the start), and, with
    ``per_action=(requests, per_seconds)``, the same kind of limit for each action separately.
    """

    def __init__(
        self,
        requests: int,
        per_seconds: float,
        *,
        burst: int | None = None,
        per_action: tuple[int, float] | None = None,
    ) -> None:
        self._account = Window(requests, per_seconds, burst)
        self.requests, self.per_seconds, self.burst = requests, per_seconds, self._account.burst
        if per_action is not None:
            Window(*per_action)  # validate now, not on the first call
        self.per_action = per_action
        self._actions: dict[str, Window] = {}
        self._lock = threading.Lock()
        #: ``time.monotonic()`` before which nothing is sent (a ``Retry-After`` seen by a caller).
        self._paused_until = 0.0

    @classmethod
    def cdnetworks_default(cls) -> RateLimiter:
        """The documented limits, 300 requests per 5 minutes per account and 30 per action,
        with 5 s of headroom for the time between our send and the server's count."""
        return cls(300, 305.0, per_action=(30, 305.0))

    def reserve(self, action: str | None = None) -> float:
        """Book the next slot for a send of ``action``; return the seconds to wait for it."""
        return self._book(action).wait

    def _windows(self, action: str | None, *, create: bool = True) -> list[Window]:
        """The windows a send of ``action`` counts in (the caller holds the lock)."""
        windows = [self._account]
        if self.per_action is not None and action is not None:
            window = self._actions.get(action)
            if window is None and create:
                window = self._actions[action] = Window(*self.per_action)
            if window is not None:
                windows.append(window)
        return windows

    def _book(self, action: str | None) -> _Booked:
        with self._lock:
            now = time.monotonic()
            windows = self._windows(action)
            slot = max(self._paused_until, *(w.earliest(now) for w in windows))
            for w in windows:
                w.book(slot, now)
            return _Booked(tuple(windows), slot, slot - now)

    def peek(self, action: str | None = None) -> float:
        """The seconds a send of ``action`` would wait now, booking nothing (a job shows the
        wait on its progress, then its client's pipeline books the slot)."""
        with self._lock:
            now = time.monotonic()
            windows = self._windows(action, create=False)
            return max(0.0, max(self._paused_until, *(w.earliest(now) for w in windows)) - now)

    def remember(self, action: str | None, ago: float) -> None:
        """Count a send of ``action`` made ``ago`` seconds before now that this limiter did not
        book (a killed run of a job, read from its journal): the server's window still counts
        it, so the next sends must too."""
        with self._lock:
            now = time.monotonic()
            for w in self._windows(action):
                if 0 <= ago < w.per_seconds:
                    w.remember(now - ago)

    def pause(self, seconds: float) -> None:
        """The server asked to wait ``seconds`` (``Retry-After``): no caller sends before then."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def apause(self, seconds: float) -> None:
        self.pause(seconds)

    def acquire(self, action: str | None = None) -> object | None:
        """Wait (blocking) for the slot of one send of ``action``; what the sync client calls.

        Returns what `sent` needs to hear when the request leaves (``None``: nothing)."""
        booked = self._book(action)
        if booked.wait > 0:
            time.sleep(booked.wait)
        return booked

    async def aacquire(self, action: str | None = None) -> object | None:
        """`acquire` for the async clients (asyncio or trio)."""
        booked = self._book(action)
        if booked.wait > 0:
            import anyio  # as the async client does: not at ``import cdnetworks.core``

            await anyio.sleep(booked.wait)
        return booked

    def sent(self, booking: object) -> None:
        """The request of a booked attempt is leaving now. One that leaves `LATE` after its slot
        (a busy event loop, a slow connect) moves its slot to now: the server counts arrivals,
        and a window counted from the booked slot would end too early for the next sends."""
        if not isinstance(booking, _Booked):
            return
        now = time.monotonic()
        if now - booking.slot > LATE:
            with self._lock:
                for w in booking.windows:
                    w.move(booking.slot, now)

    async def asent(self, booking: object) -> None:
        """`sent` for the async clients."""
        self.sent(booking)

    def _for_client(self, access_key: str, timeout: float | None) -> RateLimiter:
        """The limiter a client of ``access_key`` uses: this one (a shared one binds it)."""
        return self

    def __repr__(self) -> str:
        action = f", per action {Window(*self.per_action)!r}" if self.per_action else ""
        return f"RateLimiter({self._account!r}, burst={self.burst}{action})"
