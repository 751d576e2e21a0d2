"""Today's quota shared between jobs of one account: who may spend how much of what remains.

The service reports what remains of a daily quota, but two jobs reading it at the same moment
would both see the whole of it. A ledger records each job's reservation for a while (its
lease); a job reserves before it plans its batches, shrinks the reservation as batches are
accepted (the service's `remaining` counts those already), renews the lease while it runs and
releases what is left when it ends.

`LocalQuotaLedger` is the in-process default (threads of one process); a shared ledger (Redis)
implements the same protocol for jobs running in several processes or hosts. A ledger is bound
to one account when it is built: the access key is never passed per call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

#: The quota kinds jobs spend (spec facts name them per batched field).
QUOTA_KINDS = ("purge_urls", "purge_dirs", "regex_patterns", "prefetch_urls")


@runtime_checkable
class QuotaLedger(Protocol):
    def reserve(
        self, kind: str, wanted: int, remaining: int, *, job_id: str, lease_seconds: float
    ) -> int:
        """Reserve up to ``wanted`` of today's ``kind``, given that the service just reported
        ``remaining`` left. Other jobs' live (unexpired, unsettled) reservations are subtracted;
        returns how many were granted (0..wanted). Reserving again for the same ``job_id``
        replaces that job's reservation."""
        ...

    def settle(self, kind: str, spent: int, *, job_id: str) -> None:
        """``spent`` items of the job's reservation were accepted: the service's `remaining`
        now counts them, so the reservation shrinks by that much."""
        ...

    def renew(self, *, job_id: str, lease_seconds: float) -> None:
        """Extend every reservation of the job by ``lease_seconds`` from now."""
        ...

    def release(self, *, job_id: str) -> None:
        """The job ended (or gave up): drop whatever it still holds."""
        ...


@runtime_checkable
class AsyncQuotaLedger(Protocol):
    async def reserve(
        self, kind: str, wanted: int, remaining: int, *, job_id: str, lease_seconds: float
    ) -> int: ...

    async def settle(self, kind: str, spent: int, *, job_id: str) -> None: ...

    async def renew(self, *, job_id: str, lease_seconds: float) -> None: ...

    async def release(self, *, job_id: str) -> None: ...


@dataclass
class _Hold:
    amount: int
    expires: float


class LocalQuotaLedger:
    """Reservations kept in this process (thread-safe); the default of every job.

    ``account`` only labels the ledger (its repr); one ledger per account is the caller's
    business (`for_account` keeps one per account key in the process).
    """

    _shared: ClassVar[dict[str, LocalQuotaLedger]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, account: str = "", *, clock: Callable[[], float] | None = None) -> None:
        self.account = account
        self._holds: dict[tuple[str, str], _Hold] = {}
        self._lock = threading.Lock()
        self._clock = clock or time.monotonic

    @classmethod
    def for_account(cls, account: str) -> LocalQuotaLedger:
        """The process-wide ledger of ``account`` (an opaque key, e.g. a hash of the access key)."""
        with cls._shared_lock:
            ledger = cls._shared.get(account)
            if ledger is None:
                ledger = cls._shared[account] = cls(account)
            return ledger

    def _now(self) -> float:
        return float(self._clock())

    def _others(self, kind: str, job_id: str, now: float) -> int:
        return sum(
            h.amount
            for (k, job), h in self._holds.items()
            if k == kind and job != job_id and h.expires > now
        )

    def reserve(
        self, kind: str, wanted: int, remaining: int, *, job_id: str, lease_seconds: float
    ) -> int:
        if wanted < 0 or lease_seconds <= 0:
            raise ValueError("wanted must be >= 0 and lease_seconds > 0")
        with self._lock:
            now = self._now()
            granted = max(0, min(wanted, remaining - self._others(kind, job_id, now)))
            self._holds[(kind, job_id)] = _Hold(granted, now + lease_seconds)
            return granted

    def settle(self, kind: str, spent: int, *, job_id: str) -> None:
        with self._lock:
            hold = self._holds.get((kind, job_id))
            if hold is not None:
                hold.amount = max(0, hold.amount - spent)

    def renew(self, *, job_id: str, lease_seconds: float) -> None:
        with self._lock:
            expires = self._now() + lease_seconds
            for (_, job), hold in self._holds.items():
                if job == job_id:
                    hold.expires = expires

    def release(self, *, job_id: str) -> None:
        with self._lock:
            for key in [k for k in self._holds if k[1] == job_id]:
                del self._holds[key]

    def held(self, kind: str) -> int:
        """What live reservations of every job hold of ``kind`` now (for tests and reports)."""
        with self._lock:
            return self._others(kind, "", self._now())

    def __repr__(self) -> str:
        return f"LocalQuotaLedger(account={self.account!r}, holds={len(self._holds)})"
