"""What the shared limiter (Redis or Valkey) costs per call, beside the local limiter and no
limiter, in the same run: sync calls one after another, and async calls at concurrency 50.

Every case calls ``Client.invoke("GET", "/vmp/images")`` against the loopback server of the
per-call targets (nginx when installed, see ``servers.py``; the Python fallback's own time hides
much of the client's cost and the note says so), each client on a pool of its own. The limits are
set so high (a billion requests a second, per account and per action) that no call ever waits:
what is measured is what deciding costs, not waiting.

The store is a ``redis-server`` started here on a free loopback port (``/usr/bin/redis-server``,
or ``CDNETWORKS_BENCH_REDIS_SERVER``), with no persistence. Round trips per attempt are read
from the server's count of the commands clients send (``INFO commandstats``: scripts
and pings, not the commands a script runs inside) over a batch of calls. The group is skipped,
saying why, when no ``redis-server`` or no redis-py is installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from harness import Case, Row, compare
from servers import serve

from cdnetworks.core import AsyncClient, Client, RateLimiter

AK, SK = "AKBENCHFLEET", "sk-bench-fleet"
PARAMS = {"limit": 20}
CONCURRENCY = 50
#: No call waits: the cost of deciding is measured, not the limit.
HIGH = 1_000_000_000


def _redis_binary() -> str | None:
    return os.environ.get("CDNETWORKS_BENCH_REDIS_SERVER") or shutil.which(
        "redis-server", path=os.environ.get("PATH", "") + ":/usr/bin:/usr/sbin"
    )


@contextlib.contextmanager
def _redis(binary: str) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        argv += ["no", "--dir", tmp]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("redis-server did not start") from None
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _limiters(url: str) -> dict[str, RateLimiter | None]:
    from cdnetworks.core.fleet import SharedRateLimiter

    return {
        "no limiter": None,
        "local RateLimiter": RateLimiter(HIGH, 1.0, per_action=(HIGH, 1.0)),
        "SharedRateLimiter (loopback redis-server)": SharedRateLimiter(
            url, HIGH, 1.0, per_action=(HIGH, 1.0), prefix="bench"
        ),
    }


#: Commands a client sends itself; the server's count of the rest includes what scripts call.
_SENT = ("evalsha", "eval", "evalsha_ro", "eval_ro", "script", "ping", "hello", "auth", "select")


def _commands(store: Any) -> int:
    stats = store.info("commandstats")
    return sum(
        int(v["calls"])
        for k, v in stats.items()
        if k.removeprefix("cmdstat_").partition("|")[0] in _SENT
    )


def _round_trips(store: Any, calls: int, run: Callable[[int], object]) -> float:
    before = _commands(store)
    run(calls)
    return (_commands(store) - before) / calls


def _sync_rows(base: str, url: str, store: Any, quick: bool, kind: str) -> list[Row]:
    number, repeat = (50, 5) if quick else (200, 15)
    clients = {
        name: Client(
            access_key=AK,
            secret_key=SK,
            endpoint=base,
            load_entry_points=False,
            rate_limiter=limiter,
        )
        for name, limiter in _limiters(url).items()
    }

    def call(client: Client) -> Callable[[], object]:
        return lambda: client.invoke("GET", "/vmp/images", params=PARAMS)

    try:
        names = list(clients)
        rows = compare(
            f"Client.invoke, sync, one call after another ({kind})",
            Case(names[0], call(clients[names[0]])),
            [Case(n, call(clients[n])) for n in names[1:]],
            number=number,
            repeat=repeat,
        )
        shared = clients[names[-1]]
        trips = _round_trips(store, number, lambda n: [call(shared)() for _ in range(n)])
        return _with_notes(rows, trips)
    finally:
        for client in clients.values():
            client.close()


def _async_rows(base: str, url: str, store: Any, quick: bool, kind: str) -> list[Row]:
    calls, repeat = (200, 3) if quick else (500, 7)
    loop = asyncio.new_event_loop()
    clients = {
        name: AsyncClient(
            access_key=AK,
            secret_key=SK,
            endpoint=base,
            load_entry_points=False,
            rate_limiter=limiter,
        )
        for name, limiter in _limiters(url).items()
    }

    def batch(client: AsyncClient) -> Callable[[int], Awaitable[float]]:
        async def run(n: int) -> float:
            async def worker(k: int) -> None:
                for _ in range(k):
                    await client.invoke("GET", "/vmp/images", params=PARAMS)

            started = time.perf_counter()
            await asyncio.gather(*(worker(n // CONCURRENCY) for _ in range(CONCURRENCY)))
            return (time.perf_counter() - started) / n

        return run

    try:
        runs = {name: batch(client) for name, client in clients.items()}
        for run in runs.values():  # warm: opens each pool's 50 connections (and the store's)
            loop.run_until_complete(run(calls))
        samples: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(repeat):
            for name, run in runs.items():
                samples[name].append(loop.run_until_complete(run(calls)))
        group = f"{calls} Client.invoke, async at concurrency {CONCURRENCY} ({kind})"
        base_median = statistics.median(samples["no limiter"])
        rows = [
            Row(
                group,
                name,
                statistics.median(s),
                statistics.median(s) / base_median,
                f"{1 / statistics.median(s):,.0f} calls/s",
            )
            for name, s in samples.items()
        ]
        shared = runs[list(runs)[-1]]
        trips = _round_trips(store, calls, lambda n: loop.run_until_complete(shared(n)))
        return _with_notes(rows, trips)
    finally:
        for client in clients.values():
            loop.run_until_complete(client.aclose())
        loop.close()


def _with_notes(rows: list[Row], trips: float) -> list[Row]:
    """Each limiter's cost above no limiter per call, and the store's round trips per attempt."""
    import dataclasses

    base = rows[0].median_s
    out = [rows[0]]
    for row in rows[1:]:
        note = f"+{(row.median_s - base) * 1e6:.0f} µs per call"
        if row.name.startswith("Shared"):
            note += f"; {trips:.2f} store round trips per attempt"
        if row.note:
            note = f"{row.note}; {note}"
        out.append(dataclasses.replace(row, note=note))
    return out


def run(quick: bool) -> list[Row]:
    binary = _redis_binary()
    try:
        import redis
    except ImportError:
        print("bench_fleet: skipped, redis-py is not installed (cdnetworks-core[redis])")
        return []
    if binary is None:
        print("bench_fleet: skipped, no redis-server (apt-get install redis-server)")
        return []
    with _redis(binary) as url, serve() as server:
        store = redis.Redis.from_url(url)
        print(f"bench_fleet: served by {server.description}")
        try:
            rows = _sync_rows(server.base_url, url, store, quick, server.kind)
            rows += _async_rows(server.base_url, url, store, quick, server.kind)
        finally:
            store.close()
        return rows
