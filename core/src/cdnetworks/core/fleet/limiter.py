"""`SharedRateLimiter`: the `RateLimiter`'s windows kept in Redis or Valkey for a whole fleet.

Every attempt asks the store once: one Lua script books the slot in the account's window and the
action's, on the server's clock, and answers how long to wait. Only a caller that had to wait asks
once more after its wait, in case another worker was told ``Retry-After`` meanwhile (then it books
a slot after that pause). A ``Retry-After`` answer is written to the store, so every worker of the
account, including one started later, waits for it.

When the store is down or slower than the timeout: ``on_backend_error="open"`` (the default) goes
on with this process's own limiter at the same limits, with one warning per outage;
``"closed"`` raises `RateLimitBackendError` and sends nothing. Both go back to the store on their
own once it answers.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Literal

from ..errors import ConfigurationError, RateLimitBackendError
from ..ratelimit import LATE, RateLimiter, Window
from . import scripts
from .connection import StoreConnection, connection, errors, log
from .ledger import AsyncRedisQuotaLedger, RedisQuotaLedger
from .store import DEFAULT_PREFIX, account_base, check_prefix, check_url, mask_url

OnBackendError = Literal["open", "closed"]


class Booking:
    """A slot booked in the store, until its request leaves."""

    __slots__ = ("_acquired", "id", "logs", "slot")

    def __init__(self, booking: str, logs: list[str], slot: float) -> None:
        self.id, self.logs, self.slot = booking, logs, slot
        self._acquired = time.monotonic()

    def late(self) -> str | None:
        """The slot the send really took (server time), if it left `LATE` after its own."""
        behind = time.monotonic() - self._acquired
        return f"{self.slot + behind:.6f}" if behind > LATE else None


#: The store's timeout when neither the limiter nor the client sets one.
DEFAULT_TIMEOUT = 5.0


class SharedRateLimiter(RateLimiter):
    """The limits of `RateLimiter`, shared by every process that points at the same store.

    ``backend`` is a ``redis://``, ``rediss://`` (TLS) or ``unix://`` URL (``valkey://`` and
    ``valkeys://`` too); a password in it is never shown. ``prefix`` starts every key, so several
    applications can share one database; the account is a hash of the access key, bound by the
    client that uses the limiter (or by ``access_key=``). ``timeout`` bounds each exchange with the
    store (default: the client's connect timeout). ``on_backend_error`` is ``"open"`` or
    ``"closed"``, see the module docstring.
    """

    def __init__(
        self,
        backend: str,
        requests: int = 300,
        per_seconds: float = 305.0,
        *,
        burst: int | None = None,
        per_action: tuple[int, float] | None = None,
        prefix: str = DEFAULT_PREFIX,
        on_backend_error: OnBackendError = "open",
        timeout: float | None = None,
        access_key: str | None = None,
    ) -> None:
        super().__init__(requests, per_seconds, burst=burst, per_action=per_action)
        self._url = check_url(backend, "backend")
        self.backend = mask_url(backend)
        self.prefix = check_prefix(prefix)
        if on_backend_error not in ("open", "closed"):
            raise ConfigurationError(
                f"on_backend_error must be 'open' or 'closed', got {on_backend_error!r}"
            )
        self.on_backend_error: OnBackendError = on_backend_error
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
        ):
            raise ConfigurationError(
                f"timeout must be a positive number of seconds, got {timeout!r}"
            )
        self.timeout = timeout
        self._access_key = access_key
        self._base = None if access_key is None else account_base(self.prefix, access_key)
        self._store: StoreConnection | None = None
        self._bound: dict[tuple[str, float], SharedRateLimiter] = {}
        self._bound_lock = threading.Lock()
        self._ledgers: dict[bool, RedisQuotaLedger | AsyncRedisQuotaLedger] = {}

    @classmethod
    def cdnetworks_default(cls, backend: str = "redis://localhost:6379/0") -> SharedRateLimiter:
        """The documented limits (300 per 5 minutes per account, 30 per action), with 5 s of
        headroom, shared through ``backend``."""
        return cls(backend, 300, 305.0, per_action=(30, 305.0))

    # Binding to an account.

    def _for_client(self, access_key: str, timeout: float | None) -> SharedRateLimiter:
        seconds = float(self.timeout or timeout or DEFAULT_TIMEOUT)
        if self._access_key is not None:
            if access_key != self._access_key:
                raise ConfigurationError(
                    "this SharedRateLimiter was built for another access key than the client's; "
                    "build it without access_key= and let each client bind its own account"
                )
            self._connect(seconds)
            return self
        with self._bound_lock:
            found = self._bound.get((access_key, seconds))
            if found is None:
                found = SharedRateLimiter(
                    self._url,
                    self.requests,
                    self.per_seconds,
                    burst=self.burst,
                    per_action=self.per_action,
                    prefix=self.prefix,
                    on_backend_error=self.on_backend_error,
                    timeout=seconds,
                    access_key=access_key,
                )
                found.backend = self.backend
                found._connect(seconds)
                self._bound[(access_key, seconds)] = found
            return found

    def quota_ledger(
        self, *, asynchronous: bool = False
    ) -> RedisQuotaLedger | AsyncRedisQuotaLedger:
        """The daily-quota ledger of this limiter's account in the same store (same prefix and
        timeout): where jobs paced by this limiter reserve what they plan to spend."""
        if self._access_key is None:
            raise ConfigurationError(
                "this SharedRateLimiter is not bound to an account: give it to a Client "
                "(rate_limiter=...) or build it with access_key="
            )
        with self._bound_lock:
            ledger = self._ledgers.get(asynchronous)
            if ledger is None:
                kind = AsyncRedisQuotaLedger if asynchronous else RedisQuotaLedger
                ledger = self._ledgers[asynchronous] = kind(
                    self._url,
                    access_key=self._access_key,
                    prefix=self.prefix,
                    timeout=float(self.timeout or DEFAULT_TIMEOUT),
                )
            return ledger

    def _connect(self, seconds: float) -> StoreConnection:
        if self._store is None:
            self._store = connection(self._url, seconds)
        return self._store

    def _ready(self) -> StoreConnection:
        if self._base is None:
            raise ConfigurationError(
                "this SharedRateLimiter is not bound to an account: give it to a Client "
                "(rate_limiter=...) or build it with access_key="
            )
        return self._connect(float(self.timeout or DEFAULT_TIMEOUT))

    def _keys_args(
        self, action: str | None, mode: str, pause: float = 0.0, booking: str = ""
    ) -> tuple[list[str], list[str]]:
        base = self._base
        keys = [f"{base}:pause", f"{base}:bucket", f"{base}:log"]
        args = [mode, repr(pause), booking]
        args += [str(self.requests), repr(float(self.per_seconds)), str(self.burst)]
        if self.per_action is not None and action is not None:
            window = Window(*self.per_action)
            keys += [f"{base}:action:{action}:bucket", f"{base}:action:{action}:log"]
            args += [str(window.requests), repr(float(window.per_seconds)), str(window.burst)]
        return keys, args

    # What the clients call.

    def reserve(self, action: str | None = None) -> float:
        """Book a shared slot for one send of ``action``; the seconds to wait for it."""
        store = self._ready()
        why = None
        if not store.skip():
            try:
                keys, args = self._keys_args(action, "reserve", booking=os.urandom(8).hex())
                wait = float(store.script(scripts.LIMITER)(keys=keys, args=args)[0])
            except errors() as exc:
                why = store.failed(exc, warn=self.on_backend_error == "open")
            else:
                store.answered()
                return wait
        if self.on_backend_error == "closed":
            self._refuse(store, action, why)
        return super().reserve(action)

    def acquire(self, action: str | None = None) -> Booking | None:
        store = self._ready()
        if store.skip():
            self._fallback(store, action, None)
            return None
        run = store.script(scripts.LIMITER)
        booking = os.urandom(8).hex()
        try:
            keys, args = self._keys_args(action, "reserve", booking=booking)
            wait, slot = run(keys=keys, args=args)
            while float(wait) > 0:
                time.sleep(float(wait))
                keys, args = self._keys_args(action, "confirm", booking=booking)
                wait, moved = run(keys=keys, args=args)
                slot = moved or slot
        except errors() as exc:
            self._fallback(store, action, exc)
            return None
        store.answered()
        return Booking(booking, [k for k in keys if k.endswith(":log")], float(slot))

    async def aacquire(self, action: str | None = None) -> Booking | None:
        import anyio

        store = self._ready()
        if store.skip():
            await self._afallback(store, action, None)
            return None
        run = store.ascript(scripts.LIMITER)
        booking = os.urandom(8).hex()
        try:
            keys, args = self._keys_args(action, "reserve", booking=booking)
            wait, slot = await run(keys=keys, args=args)
            while float(wait) > 0:
                await anyio.sleep(float(wait))
                keys, args = self._keys_args(action, "confirm", booking=booking)
                wait, moved = await run(keys=keys, args=args)
                slot = moved or slot
        except errors() as exc:
            await self._afallback(store, action, exc)
            return None
        store.answered()
        return Booking(booking, [k for k in keys if k.endswith(":log")], float(slot))

    def sent(self, booking: object) -> None:
        """The attempt's request is leaving now: if well after its slot, move the slot."""
        if not isinstance(booking, Booking) or (late := booking.late()) is None:
            return
        store = self._ready()
        try:
            store.script(scripts.AMEND)(keys=booking.logs, args=[booking.id, late])
        except errors() as exc:
            store.failed(exc, warn=self.on_backend_error == "open")

    async def asent(self, booking: object) -> None:
        if not isinstance(booking, Booking) or (late := booking.late()) is None:
            return
        store = self._ready()
        try:
            await store.ascript(scripts.AMEND)(keys=booking.logs, args=[booking.id, late])
        except errors() as exc:
            store.failed(exc, warn=self.on_backend_error == "open")

    def pause(self, seconds: float) -> None:
        """Every worker of the account waits ``seconds`` (written to the store, and kept locally
        for when the store is down)."""
        super().pause(seconds)
        store = self._ready()
        if store.skip():
            return
        try:
            keys, args = self._keys_args(None, "pause", seconds)
            store.script(scripts.LIMITER)(keys=keys, args=args)
        except errors() as exc:
            # The answer that carried Retry-After is what the caller must see, not this.
            store.failed(exc, warn=self.on_backend_error == "open")
            return
        store.answered()

    async def apause(self, seconds: float) -> None:
        super().pause(seconds)
        store = self._ready()
        if store.skip():
            return
        try:
            keys, args = self._keys_args(None, "pause", seconds)
            await store.ascript(scripts.LIMITER)(keys=keys, args=args)
        except errors() as exc:
            store.failed(exc, warn=self.on_backend_error == "open")
            return
        store.answered()

    async def aclose(self) -> None:
        """Close the store connections of the running event loop (reopened when needed)."""
        if self._store is not None:
            await self._store.aclose()
        for bound in list(self._bound.values()):
            await bound.aclose()

    def _refuse(self, store: StoreConnection, action: str | None, why: str | None) -> None:
        detail = why or "it failed a moment ago and is not asked again yet"
        raise RateLimitBackendError(
            f"the shared rate limit store {store.shown} failed or did not answer within "
            f"{store.timeout:g} s ({detail}); nothing was sent (on_backend_error='closed')",
            backend=store.shown,
            action=action,
        )

    def _fallback(
        self, store: StoreConnection, action: str | None, exc: BaseException | None
    ) -> None:
        why = None if exc is None else store.failed(exc, warn=self.on_backend_error == "open")
        if self.on_backend_error == "closed":
            self._refuse(store, action, why)
        super().acquire(action)

    async def _afallback(
        self, store: StoreConnection, action: str | None, exc: BaseException | None
    ) -> None:
        why = None if exc is None else store.failed(exc, warn=self.on_backend_error == "open")
        if self.on_backend_error == "closed":
            self._refuse(store, action, why)
        await super().aacquire(action)

    def __repr__(self) -> str:
        action = f", per action {Window(*self.per_action)!r}" if self.per_action else ""
        return (
            f"SharedRateLimiter({self.backend!r}, {self.requests} per {self.per_seconds:g} s, "
            f"burst={self.burst}{action}, prefix={self.prefix!r}, "
            f"on_backend_error={self.on_backend_error!r})"
        )


__all__ = ["SharedRateLimiter", "log"]
