"""Which rate limiter paces a job: the one decision, made in `job_rate_limiter`.

A client built with ``rate_limiter=`` already paces every attempt in its pipeline; a job on
it uses that limiter (and books nothing more itself). A client without one gets the account's
documented limits (300 requests per 5 minutes, 30 per action), shared by every job of the same
account and endpoint in this process, so two jobs side by side stay under them together.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from ..ratelimit import RateLimiter

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
