"""One store connection per (URL, timeout) in a process, and what it knows about outages.

A store that stopped answering is not asked again on every call (each try could cost the whole
timeout): it is probed again at most every `PROBE_INTERVAL` seconds, and trusted again as soon
as one probe succeeds. Failing open, one warning is logged when an outage starts and one line
when it ends.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

from .store import async_redis, ensure_redis, mask_url, scrub, sync_redis

if TYPE_CHECKING:
    import asyncio

    import redis
    import redis.asyncio

log = logging.getLogger("cdnetworks.fleet")
#: Seconds between two tries of a store that is down.
PROBE_INTERVAL = 0.5


class StoreConnection:
    """The sync client, one asyncio client per event loop, their scripts, and the outage state."""

    def __init__(self, url: str, timeout: float) -> None:
        ensure_redis()
        self.url = url
        self.shown = mask_url(url)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._sync: redis.Redis | None = None
        self._sync_scripts: dict[str, Any] = {}
        self._async: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[redis.asyncio.Redis, dict[str, Any]]
        ] = weakref.WeakKeyDictionary()
        #: ``time.monotonic()`` of the failure that started the current outage, if one is on.
        self.down_since: float | None = None
        self._next_probe = 0.0

    def script(self, source: str) -> Any:
        """The sync callable running ``source`` (EVALSHA, loading it once if the store lost it)."""
        with self._lock:
            if self._sync is None:
                self._sync = sync_redis(self.url, self.timeout)
            found = self._sync_scripts.get(source)
            if found is None:
                found = self._sync_scripts[source] = self._sync.register_script(source)
            return found

    def ascript(self, source: str) -> Any:
        import asyncio  # redis.asyncio runs on asyncio; imported by the first async call

        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._async.get(loop)
            if entry is None:
                entry = self._async[loop] = (async_redis(self.url, self.timeout), {})
            client, scripts = entry
            found = scripts.get(source)
            if found is None:
                found = scripts[source] = client.register_script(source)
            return found

    async def aclose(self) -> None:
        """Close this event loop's connections (the next call opens new ones)."""
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        with self._lock:
            entry = self._async.pop(loop, None)
        if entry is not None:
            await entry[0].aclose()

    def close(self) -> None:
        with self._lock:
            client, self._sync, self._sync_scripts = self._sync, None, {}
        if client is not None:
            client.close()

    # The outage state machine.

    def skip(self) -> bool:
        """Whether to go straight to the fallback (an outage is on and no probe is due)."""
        if self.down_since is None:
            return False
        with self._lock:
            now = time.monotonic()
            if now < self._next_probe:
                return True
            self._next_probe = now + PROBE_INTERVAL  # this caller probes; the others wait
            return False

    def failed(self, exc: BaseException, *, warn: bool) -> str:
        """Record a failure; return its description (password scrubbed)."""
        why = scrub(f"{type(exc).__name__}: {exc}", self.url)
        with self._lock:
            first = self.down_since is None
            if first:
                self.down_since = time.monotonic()
            self._next_probe = time.monotonic() + PROBE_INTERVAL
        if first and warn:
            log.warning(
                "the shared rate limit store %s is unreachable (%s): each process falls back "
                "to its own limiter until the store answers again",
                self.shown,
                why,
            )
        return why

    def answered(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            since, self.down_since = self.down_since, None
        if since is not None:
            log.info(
                "the shared rate limit store %s answers again after %.1f s; limits shared again",
                self.shown,
                time.monotonic() - since,
            )


_connections: dict[tuple[str, float], StoreConnection] = {}
_connections_lock = threading.Lock()


def connection(url: str, timeout: float) -> StoreConnection:
    """The process's connection to ``url`` with that timeout (shared by every limiter)."""
    with _connections_lock:
        found = _connections.get((url, timeout))
        if found is None:
            found = _connections[(url, timeout)] = StoreConnection(url, timeout)
        return found


def errors() -> tuple[type[BaseException], ...]:
    import redis.exceptions as rx

    return (rx.ConnectionError, rx.TimeoutError, rx.BusyLoadingError, OSError)


__all__ = ["PROBE_INTERVAL", "StoreConnection", "connection", "errors"]
