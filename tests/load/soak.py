"""The soak run: mixed sync and async calls for a long time, with faults and hostile cases mixed in.

    uv run python -m tests.load.soak                                # 30 minutes
    CDNETWORKS_SOAK_SECONDS=60 uv run python -m tests.load.soak     # a short run

Half of ``CDNETWORKS_SOAK_CONCURRENCY`` (default 50) workers are threads sharing one ``Client``,
half are tasks sharing one ``AsyncClient``, all against the emulator's HTTP server in a child
process with 2% injected faults (5xx bursts, HTML and empty answers, dropped connections,
malformed bodies, latency past the read timeout). Of the calls, about 12% go instead to a hostile
raw-socket server on 127.0.0.1 (trickled heads and bodies, oversized bodies, gzip bombs, a Date
from 1970, stalls, resets) and about 8% are misuse (a body on GET, a closed client, an infinite
timeout, pickling, credentials in the endpoint, a cancelled call).

It prints calls, outcomes by type, the count of exceptions that are not ``CdnetworksError``
(must be 0: the exit status is 1 otherwise), and this process's open sockets and RSS at the
start and at the end. Not part of the default test suite.
"""

from __future__ import annotations

import collections
import email.utils
import gzip
import os
import pathlib
import pickle
import random
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from cdnetworks.core import (
    AsyncClient,
    CdnetworksError,
    Client,
    RetryPolicy,
    RetryQuota,
    Timeout,
)
from cdnetworks.core.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from tests.faults.cases import OK_BODY
from tests.faults.server import (
    Big,
    FaultServer,
    Reply,
    ResetMidBody,
    Respond,
    Seen,
    Stall,
    Trickle,
    fault_server,
)

from .load import emulator_process

SECONDS = float(os.environ.get("CDNETWORKS_SOAK_SECONDS", "1800"))
CONCURRENCY = int(os.environ.get("CDNETWORKS_SOAK_CONCURRENCY", "50"))
#: ``CDNETWORKS_SOAK_TRACEMALLOC=1``: trace allocations and print where live memory grew.
TRACE = os.environ.get("CDNETWORKS_SOAK_TRACEMALLOC") == "1"
KEYS: dict[str, Any] = {"access_key": DEFAULT_ACCESS_KEY, "secret_key": DEFAULT_SECRET_KEY}
EMULATOR_TIMEOUT = Timeout(connect=5.0, read=1.0, write=5.0, pool=15.0, total=15.0)
HOSTILE_TIMEOUT = Timeout(connect=2.0, read=1.0, write=2.0, pool=5.0, total=2.0)
HOSTILE_LIMIT = 1024 * 1024
JSON = ("Content-Type", "application/json")


def _hostile_replies() -> list[Reply]:
    # Built once: compressing a 16 MiB bomb per request would make the server the bottleneck.
    bomb = gzip.compress(b" " * (16 * 1024 * 1024), compresslevel=9)
    return [
        Trickle(0.3),  # the head a byte at a time: only the total ends it
        Trickle(0.3, body_only=True),
        Big(4 * HOSTILE_LIMIT),  # announced: refused before reading
        Big(4 * HOSTILE_LIMIT, chunked=True),
        Respond(200, bomb, (JSON, ("Content-Encoding", "gzip"))),
        Respond(200, OK_BODY, (JSON, ("Date", email.utils.formatdate(0, usegmt=True)))),
        Stall(3.0),
        ResetMidBody(),
        Respond(200, OK_BODY),
    ]


@dataclass(frozen=True)
class AnyOf(Reply):
    """Answer each request with one of ``replies``, at random."""

    replies: tuple[Reply, ...]

    def __call__(self, server: FaultServer, conn: Any, seen: Seen) -> bool:
        return random.choice(self.replies)(server, conn, seen)


@dataclass
class Tally:
    calls: int = 0
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    untyped: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, outcome: str) -> None:
        with self.lock:
            self.calls += 1
            self.outcomes[outcome] += 1

    def fail(self, exc: BaseException) -> None:
        with self.lock:
            self.calls += 1
            self.untyped.append(f"{type(exc).__name__}: {exc}")

    @property
    def typed_errors(self) -> int:
        return sum(n for k, n in self.outcomes.items() if k not in ("ok", "cancelled"))


def open_sockets() -> int:
    """Sockets this process holds open (client pools and the in-process hostile server)."""
    count = 0
    for fd in pathlib.Path("/proc/self/fd").iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            continue  # closed while we looked
    return count


def rss_mib() -> float:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _sample(samples: list[tuple[float, int, float]], started: float, end: float) -> None:
    """Open sockets and RSS every sixth of the run: a leak climbs, a warmed-up process levels."""
    step = max(1.0, (end - started) / 6)
    while time.monotonic() + step <= end:
        time.sleep(step)
        samples.append((time.monotonic() - started, open_sockets(), rss_mib()))
        if TRACE and len(samples) == 2:
            _snapshots.append(tracemalloc.take_snapshot())


_snapshots: list[tracemalloc.Snapshot] = []


def _print_growth(samples: list[tuple[float, int, float]]) -> None:
    """Where live Python memory grew between the second sample and the end of the run."""
    if not _snapshots:
        return
    growth = tracemalloc.take_snapshot().compare_to(_snapshots[0], "traceback")
    print("largest growth of live memory since the second sample (tracemalloc):")
    for stat in growth[:8]:
        print(f"  {stat.size_diff / 1024:+.0f} KiB in {stat.count_diff:+d} blocks")
        for line in stat.traceback.format()[-6:]:
            print(f"      {line}")


def _misuse(endpoint: str) -> Callable[[], object]:
    """One misuse, as a function that must raise a typed error before sending anything."""

    def closed_client() -> object:
        client = Client(**KEYS, endpoint=endpoint, load_entry_points=False)
        client.close()
        return client.invoke("GET", "/vmp/images")

    def pickled() -> object:
        with Client(**KEYS, endpoint=endpoint, load_entry_points=False) as client:
            return pickle.dumps(client)

    return random.choice(
        [
            closed_client,
            pickled,
            lambda: Client(**KEYS, endpoint=endpoint, timeout=float("inf")),
            lambda: Client(**KEYS, endpoint="https://user:PASS@api.example.com"),
            lambda: Client(**KEYS, endpoint=endpoint).invoke("GET", "/vmp/images", json={"a": 1}),
        ]
    )


def _emulator_call(n: int) -> tuple[str, str, dict[str, Any]]:
    if n % 10 == 9:
        body = {
            "name": f"soak-{n}",
            "imageSrcUrl": "https://example.com/s.qcow2",
            "ostype": "linux",
        }
        return "POST", "/vmp/images", {"json": body}
    return "GET", "/vmp/images", {"params": {"limit": 5, "type": "COMMON"}}


def _pick() -> str:
    roll = random.random()
    return "hostile" if roll < 0.12 else "misuse" if roll < 0.20 else "emulator"


def _sync_worker(client: Client, hostile: Client, tally: Tally, end: float) -> None:
    n = 0
    while time.monotonic() < end:
        n += 1
        kind = _pick()
        try:
            if kind == "emulator":
                method, path, kwargs = _emulator_call(n)
                client.invoke(method, path, **kwargs)
            elif kind == "hostile":
                hostile.invoke("GET", "/vmp/images")
            else:
                _misuse(client.endpoint)()
                raise AssertionError("misuse was not refused")
            tally.note("ok")
        except CdnetworksError as exc:
            tally.note(type(exc).__name__)
        except Exception as exc:
            tally.fail(exc)


async def _async_worker(
    client: AsyncClient, hostile: AsyncClient, tally: Tally, end: float
) -> None:
    n = 0
    while time.monotonic() < end:
        n += 1
        kind = _pick()
        try:
            if kind == "emulator":
                method, path, kwargs = _emulator_call(n)
                await client.invoke(method, path, **kwargs)
            elif kind == "hostile":
                await hostile.invoke("GET", "/vmp/images")
            else:
                # The async misuse: a call cancelled part-way (its hooks must still finish).
                with anyio.move_on_after(random.uniform(0.0, 0.05)) as scope:
                    await client.invoke("GET", "/vmp/images")
                if scope.cancelled_caught:
                    tally.note("cancelled")
                    continue
            tally.note("ok")
        except CdnetworksError as exc:
            tally.note(type(exc).__name__)
        except Exception as exc:
            tally.fail(exc)


async def _async_side(
    endpoint: str, hostile_endpoint: str, workers: int, tally: Tally, end: float
) -> None:
    retry = RetryPolicy(base_delay=0.01, max_delay=0.1, quota=RetryQuota())
    async with (
        AsyncClient(
            **KEYS,
            endpoint=endpoint,
            timeout=EMULATOR_TIMEOUT,
            retry=retry,
            load_entry_points=False,
        ) as client,
        AsyncClient(
            **KEYS,
            endpoint=hostile_endpoint,
            timeout=HOSTILE_TIMEOUT,
            max_response_bytes=HOSTILE_LIMIT,
            load_entry_points=False,
        ) as hostile,
        anyio.create_task_group() as tg,
    ):
        for _ in range(workers):
            tg.start_soon(_async_worker, client, hostile, tally, end)


def main() -> int:
    tally = Tally()
    with (
        emulator_process(seed=11, fault_scale=2.0) as endpoint,
        fault_server(AnyOf(tuple(_hostile_replies())), keep_seen=False) as hostile_server,
    ):
        retry = RetryPolicy(base_delay=0.01, max_delay=0.1, quota=RetryQuota())
        client = Client(
            **KEYS,
            endpoint=endpoint,
            timeout=EMULATOR_TIMEOUT,
            retry=retry,
            load_entry_points=False,
        )
        hostile = Client(
            **KEYS,
            endpoint=hostile_server.endpoint,
            timeout=HOSTILE_TIMEOUT,
            max_response_bytes=HOSTILE_LIMIT,
            load_entry_points=False,
        )
        if TRACE:
            tracemalloc.start(8)
        start_sockets, start_rss = open_sockets(), rss_mib()
        started = time.monotonic()
        end = started + SECONDS
        sync_workers = CONCURRENCY // 2
        threads = [
            threading.Thread(target=_sync_worker, args=(client, hostile, tally, end), daemon=True)
            for _ in range(sync_workers)
        ]
        samples: list[tuple[float, int, float]] = []
        threads.append(threading.Thread(target=_sample, args=(samples, started, end), daemon=True))
        for thread in threads:
            thread.start()
        anyio.run(
            _async_side, endpoint, hostile_server.endpoint, CONCURRENCY - sync_workers, tally, end
        )
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        end_sockets, end_rss = open_sockets(), rss_mib()
        if TRACE:
            _print_growth(samples)
        client.close()
        hostile.close()
    print(
        f"soak: {elapsed:.0f} s, concurrency {CONCURRENCY} ({sync_workers} threads, "
        f"{CONCURRENCY - sync_workers} tasks), 2% emulator faults, hostile and misuse mixed in"
    )
    print(
        f"calls: {tally.calls} ({tally.calls / elapsed:.0f}/s); ok: {tally.outcomes['ok']}; "
        f"cancelled: {tally.outcomes['cancelled']}; typed errors: {tally.typed_errors}"
    )
    for name, count in sorted(tally.outcomes.items(), key=lambda kv: -kv[1]):
        if name not in ("ok", "cancelled"):
            print(f"  {name}: {count}")
    print(f"other exceptions: {len(tally.untyped)}")
    for line in tally.untyped[:10]:
        print(f"  {line}")
    print(f"open sockets: {start_sockets} at start, {end_sockets} at end")
    print(f"RSS: {start_rss:.1f} MiB at start, {end_rss:.1f} MiB at end")
    print(
        "during the run (s: sockets, RSS MiB): "
        + ", ".join(f"{t:.0f}: {n}, {r:.0f}" for t, n, r in samples)
    )
    return 1 if tally.untyped else 0


if __name__ == "__main__":
    raise SystemExit(main())
