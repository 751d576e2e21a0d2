"""Daily quota reservations shared through Redis or Valkey: `RedisQuotaLedger` and its async twin.

They implement `cdnetworks.core.jobs.quota.QuotaLedger` / `AsyncQuotaLedger`: a job reserves the
quota it plans to spend before sending, so concurrent jobs of one account (in any process, on any
machine) never plan together more than the service reported remaining. Each reservation belongs
to a job's lease; a job that stops renewing (killed with -9) loses it when the lease expires, on
the store's clock. Every operation is one atomic script. The ledger fails closed: if the store
does not answer, `RateLimitBackendError` is raised and the job does not start sending.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError, RateLimitBackendError, ValidationError
from . import scripts
from .connection import StoreConnection, connection, errors
from .store import DEFAULT_PREFIX, account_base, check_prefix, check_url, mask_url

#: Kinds of daily quota the API reports (purge URLs and directories, regex patterns, prefetch).
KINDS = frozenset({"purge_urls", "purge_dirs", "regex_patterns", "prefetch_urls"})


class _LedgerBase:
    def __init__(
        self,
        backend: str,
        *,
        access_key: str,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = 5.0,
    ) -> None:
        if not isinstance(access_key, str) or not access_key:
            raise ConfigurationError("access_key must name the account whose quota is shared")
        self._url = check_url(backend, "backend")
        self.backend = mask_url(backend)
        self.prefix = check_prefix(prefix)
        base = account_base(self.prefix, access_key)
        self._keys = [f"{base}:quota", f"{base}:quota:leases"]
        self._store: StoreConnection = connection(self._url, float(timeout))

    @staticmethod
    def _check(kind: str | None = None, job_id: str = "", **amounts: float) -> None:
        if kind is not None and kind not in KINDS:
            raise ValidationError(
                f"unknown quota kind {kind!r}; one of {', '.join(sorted(KINDS))}", field="kind"
            )
        if not isinstance(job_id, str) or not job_id or "\0" in job_id:
            raise ValidationError("job_id must be a non-empty str", field="job_id")
        for name, value in amounts.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValidationError(f"{name} must be a number >= 0, got {value!r}", field=name)

    def _failed(self, exc: BaseException, what: str) -> RateLimitBackendError:
        why = self._store.failed(exc, warn=False)
        return RateLimitBackendError(
            f"the quota ledger's store {self.backend} failed or did not answer within "
            f"{self._store.timeout:g} s ({why}); cannot {what}",
            backend=self.backend,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.backend!r}, prefix={self.prefix!r})"


class RedisQuotaLedger(_LedgerBase):
    """The shared `QuotaLedger` (sync)."""

    def _run(self, source: str, args: list[Any], what: str) -> int:
        try:
            result = self._store.script(source)(keys=self._keys, args=args)
        except errors() as exc:
            raise self._failed(exc, what) from None
        self._store.answered()
        return int(result)

    def reserve(
        self, kind: str, wanted: int, remaining: int, *, job_id: str, lease_seconds: float
    ) -> int:
        self._check(kind, job_id, wanted=wanted, remaining=remaining, lease_seconds=lease_seconds)
        args = [kind, int(wanted), int(remaining), job_id, repr(float(lease_seconds))]
        return self._run(scripts.RESERVE, args, f"reserve {kind} quota")

    def settle(self, kind: str, spent: int, *, job_id: str) -> None:
        self._check(kind, job_id, spent=spent)
        self._run(scripts.SETTLE, [kind, int(spent), job_id], f"settle {kind} quota")

    def renew(self, *, job_id: str, lease_seconds: float) -> None:
        self._check(None, job_id, lease_seconds=lease_seconds)
        self._run(scripts.RENEW, [job_id, repr(float(lease_seconds))], "renew the lease")

    def release(self, *, job_id: str) -> None:
        self._check(None, job_id)
        self._run(scripts.RELEASE, [job_id], "release the reservation")

    def held(self, kind: str) -> int:
        """How much of ``kind`` the live reservations of every job of the account hold."""
        self._check(kind, "-")
        return self._run(scripts.HELD, [kind], f"read {kind} reservations")


class AsyncRedisQuotaLedger(_LedgerBase):
    """The shared `AsyncQuotaLedger` (redis.asyncio; one connection pool per event loop)."""

    async def _run(self, source: str, args: list[Any], what: str) -> int:
        try:
            result = await self._store.ascript(source)(keys=self._keys, args=args)
        except errors() as exc:
            raise self._failed(exc, what) from None
        self._store.answered()
        return int(result)

    async def reserve(
        self, kind: str, wanted: int, remaining: int, *, job_id: str, lease_seconds: float
    ) -> int:
        self._check(kind, job_id, wanted=wanted, remaining=remaining, lease_seconds=lease_seconds)
        args = [kind, int(wanted), int(remaining), job_id, repr(float(lease_seconds))]
        return await self._run(scripts.RESERVE, args, f"reserve {kind} quota")

    async def settle(self, kind: str, spent: int, *, job_id: str) -> None:
        self._check(kind, job_id, spent=spent)
        await self._run(scripts.SETTLE, [kind, int(spent), job_id], f"settle {kind} quota")

    async def renew(self, *, job_id: str, lease_seconds: float) -> None:
        self._check(None, job_id, lease_seconds=lease_seconds)
        await self._run(scripts.RENEW, [job_id, repr(float(lease_seconds))], "renew the lease")

    async def release(self, *, job_id: str) -> None:
        self._check(None, job_id)
        await self._run(scripts.RELEASE, [job_id], "release the reservation")

    async def held(self, kind: str) -> int:
        self._check(kind, "-")
        return await self._run(scripts.HELD, [kind], f"read {kind} reservations")

    async def aclose(self) -> None:
        await self._store.aclose()
