"""Fleets: one account's rate limits, ``Retry-After`` back-off and daily quotas shared by every
process and machine, through Redis or Valkey (``pip install 'cdnetworks-core[redis]'``).

See the docs page "Running many workers on one account". Importing this package does not import
redis-py; building a limiter or ledger does.
"""

from __future__ import annotations

from .ledger import KINDS, AsyncRedisQuotaLedger, RedisQuotaLedger
from .limiter import SharedRateLimiter
from .settings import (
    ENV_BACKEND,
    ENV_ON_BACKEND_ERROR,
    ENV_PER_ACTION,
    ENV_PREFIX,
    ENV_RATE_LIMIT,
    configured_rate_limiter,
    rate_limit_settings,
)
from .store import mask_url

__all__ = [
    "ENV_BACKEND",
    "ENV_ON_BACKEND_ERROR",
    "ENV_PER_ACTION",
    "ENV_PREFIX",
    "ENV_RATE_LIMIT",
    "KINDS",
    "AsyncRedisQuotaLedger",
    "RedisQuotaLedger",
    "SharedRateLimiter",
    "configured_rate_limiter",
    "mask_url",
    "rate_limit_settings",
]
