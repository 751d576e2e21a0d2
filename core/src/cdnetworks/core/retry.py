"""When to try again, how long to wait, and how much retrying a failing service may take.

Defaults (the same spirit as botocore's "standard" mode and the OpenAI client):

* at most 3 attempts per call;
* capped exponential backoff with jitter: the n-th wait is drawn uniformly from ``[d/2, d]``
  where ``d = min(max_delay, base_delay * 2**(n-1))`` (0.5 s, 1 s, 2 s, ... up to 20 s);
* ``Retry-After`` (seconds or an HTTP date) replaces the backoff when present; when it asks for
  more than ``max_retry_after`` (60 s) the SDK stops retrying and raises, so the caller decides;
* a retry quota shared by every client of the same endpoint in the process: each retry spends
  5 tokens (10 after a timeout), each success refunds the cost of its retries or earns 1 token
  back; with the bucket (500) empty, calls fail fast instead of piling retries on a sick service.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import ClassVar

from .errors import ConfigurationError

DEFAULT_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RetryQuota:
    """A token bucket limiting retries (not first attempts) across callers."""

    _shared: ClassVar[dict[str, RetryQuota]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, capacity: int = 500, retry_cost: int = 5, timeout_cost: int = 10) -> None:
        if capacity < 0 or retry_cost < 0 or timeout_cost < 0:
            raise ConfigurationError("retry quota capacity and costs must not be negative")
        self.capacity = capacity
        self.retry_cost = retry_cost
        self.timeout_cost = timeout_cost
        self._available = capacity
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, key: str) -> RetryQuota:
        """The process-wide quota for ``key`` (the endpoint), created on first use."""
        with cls._shared_lock:
            quota = cls._shared.get(key)
            if quota is None:
                quota = cls._shared[key] = cls()
            return quota

    @property
    def available(self) -> int:
        return self._available

    def acquire(self, *, after_timeout: bool = False) -> int | None:
        """Take the cost of one retry; ``None`` when the bucket cannot pay for it."""
        cost = self.timeout_cost if after_timeout else self.retry_cost
        with self._lock:
            if cost > self._available:
                return None
            self._available -= cost
            return cost

    def refund(self, spent: int) -> None:
        """A call was cancelled: give back exactly what its retries spent (it earned nothing)."""
        if spent:
            with self._lock:
                self._available = min(self.capacity, self._available + spent)

    def release(self, spent: int) -> None:
        """A call succeeded: give back what its retries spent, or 1 token when it spent none."""
        with self._lock:
            self._available = min(self.capacity, self._available + (spent or 1))


@dataclass(frozen=True)
class RetryPolicy:
    """How a client retries. Every field has the default stated in the module docstring."""

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    #: Retry POST (and other non-idempotent actions) after a failure that may have reached the
    #: server. Off by default: a blind retry of a create can create twice.
    retry_non_idempotent: bool = False
    #: ``None``: the quota shared by every client of the same endpoint in this process.
    quota: RetryQuota | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise ConfigurationError(f"max_attempts must be an int, got {self.max_attempts!r}")
        if self.max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ConfigurationError("retry delays must not be negative")

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (retry_number - 1)))
        return random.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date), else ``None``."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        # A date already past means "now": the server is ready again.
        return max(0.0, when - (time.time() if now is None else now))
    # delta-seconds is a count of seconds: a negative, infinite or NaN value is not one, and is
    # treated as absent (the policy's own backoff), never as "no pause at all".
    if not 0.0 <= seconds < float("inf"):
        return None
    return seconds
