"""Which rate limiter paces a job and which ledger holds its quota: `job_rate_limiter` and
`job_quota_ledger`.

A client built with ``rate_limiter=`` already paces every attempt in its pipeline; a job on
it uses that limiter (and books nothing more itself). A client without one gets the account's
documented limits (300 requests per 5 minutes, 30 per action), shared by every job of the same
account and endpoint in this process, so two jobs side by side stay under them together.

The client resolves ``rate_limiter=``, the profile's ``rate_limit*`` keys and the
``CDNETWORKS_RATE_LIMIT*`` variables itself (`cdnetworks.core.fleet.settings`), so a job reads
the answer from the client instead of parsing them a second time. When that limiter is shared
through Redis or Valkey, the job's quota reservations go to the same store, keyed by the same
account hash; otherwise they stay in the process (`LocalQuotaLedger`).
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from ..ratelimit import RateLimiter
from .quota import AsyncQuotaLedger, LocalQuotaLedger, QuotaLedger

_defaults: dict[str, RateLimiter] = {}
_lock = threading.Lock()


def client_rate_limiter(client: Any) -> RateLimiter | None:
    """The limiter the core client's pipeline applies to every call, if it has one."""
    env = getattr(client, "_env", None)
    limiter = getattr(env, "rate_limiter", None)
    return limiter if isinstance(limiter, RateLimiter) else None


def account_key(client: Any) -> str:
    """An opaque key of the client's account and endpoint (a hash: never the key itself)."""
    raw = f"{getattr(client, 'endpoint', '')}\0{getattr(client, 'access_key', '')}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def job_rate_limiter(client: Any) -> RateLimiter:
    """The limiter a job on ``client`` (a core `Client` or `AsyncClient`) is paced by."""
    own = client_rate_limiter(client)
    if own is not None:
        return own
    key = account_key(client)
    with _lock:
        limiter = _defaults.get(key)
        if limiter is None:
            limiter = _defaults[key] = RateLimiter.cdnetworks_default()
        return limiter


def job_books_calls(client: Any) -> bool:
    """Whether the job must book its calls itself (the client's pipeline does not)."""
    return client_rate_limiter(client) is None


def job_quota_ledger(client: Any, *, asynchronous: bool = False) -> QuotaLedger | AsyncQuotaLedger:
    """The ledger a job on ``client`` reserves its daily quota in when the caller gives none:
    the shared store of the client's `SharedRateLimiter`, else this process's ledger."""
    shared = getattr(client_rate_limiter(client), "quota_ledger", None)
    if callable(shared):
        ledger: QuotaLedger | AsyncQuotaLedger = shared(asynchronous=asynchronous)
        return ledger
    return LocalQuotaLedger.for_account(account_key(client))
