"""Drive many calls through one ``AsyncClient`` against the emulator's HTTP server.

:func:`run_load` starts the emulator (1% injected faults) in a child process, runs ``calls``
calls (90% image listings, 10% creates) ``concurrency`` at a time under an overall deadline,
samples the client's open TCP connections to the server, and measures the client's memory with
tracemalloc over further rounds. ``test_load.py`` asserts on the :class:`LoadReport`;
``CDNETWORKS_LOAD_CALLS=10000 uv run pytest tests/load -s`` runs the full size and prints it.
"""

from __future__ import annotations

import collections
import gc
import json
import logging
import pathlib
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from cdnetworks.core import AsyncClient, CdnetworksError, RetryPolicy, RetryQuota, Timeout
from cdnetworks.core.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY

PROC_NET_TCP = pathlib.Path("/proc/net/tcp")
#: Per attempt, and for a whole call: nothing may hang.
DEFAULT_TIMEOUT = Timeout(connect=5.0, read=1.0, write=5.0, pool=15.0, total=15.0)
ESTABLISHED = "01"


@dataclass
class LoadReport:
    calls: int
    concurrency: int
    max_connections: int
    seconds: float = 0.0
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    #: Exceptions that are not the SDK's typed errors (there must be none).
    untyped: list[str] = field(default_factory=list)
    peak_open_connections: int | None = None
    #: Growth of the process's live memory over each measured round.
    memory_growth_rounds: list[int] = field(default_factory=list)
    memory_round_calls: int = 0
    #: The allocation sites that grew most during the second memory round.
    top_growth: list[str] = field(default_factory=list)

    @property
    def memory_growth_bytes(self) -> int:
        """Growth that every round shows: a leak grows each round, while a one-off (a table
        of interned strings doubling, say) shows in one round only."""
        return min(self.memory_growth_rounds, default=0)

    @property
    def finished(self) -> int:
        """Calls that ended, in every round (main and memory)."""
        return sum(self.outcomes.values()) + len(self.untyped)

    @property
    def throughput(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        failures = {k: v for k, v in self.outcomes.items() if k != "ok"}
        return (
            f"{self.calls} calls, concurrency {self.concurrency}: {self.seconds:.1f} s, "
            f"{self.throughput:.0f} calls/s; ok {self.outcomes['ok']}, failures {failures}; "
            f"peak open connections {self.peak_open_connections} "
            f"(limit {self.max_connections}); memory growth per round of "
            f"{self.memory_round_calls} calls: "
            + ", ".join(f"{b / 1024:.0f} KiB" for b in self.memory_growth_rounds)
        )


@dataclass
class ServedLog:
    """What the emulator process received, filled in once it has stopped."""

    requests: int = 0
    #: Requests that carried each kind of fault (``"Drop"``, ``"Latency"``, ...).
    faults: collections.Counter[str] = field(default_factory=collections.Counter)


@contextmanager
def emulator_process(
    seed: int = 0,
    fault_scale: float = 1.0,
    latency: float | None = None,
    served: ServedLog | None = None,
) -> Iterator[str]:
    """The emulator's server in a child process (faults ``fault_scale`` x 1%, the latency fault
    ``latency`` s); its endpoint. ``served`` is filled in with what it received once it stops."""
    argv = [sys.executable, "-m", "tests.load.emulator_process", str(seed), str(fault_scale)]
    proc = subprocess.Popen(  # noqa: S603 - our interpreter and module
        argv + ([str(latency)] if latency else []),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=pathlib.Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        endpoint = proc.stdout.readline().strip()
        if not endpoint.startswith("http://"):
            raise RuntimeError(f"the emulator process did not start: {endpoint!r}")
        yield endpoint
    finally:
        try:
            # Closing stdin stops the child, which then prints its tally and exits.
            last, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            last = ""
        if served is not None and last.strip():
            tally = json.loads(last.strip().splitlines()[-1])
            served.requests = tally["requests"]
            served.faults.update(tally["faults"])


def open_connections(port: int) -> int | None:
    """This machine's ESTABLISHED IPv4 sockets whose remote end is ``127.0.0.1:port``."""
    if not PROC_NET_TCP.exists():
        return None
    count = 0
    for line in PROC_NET_TCP.read_text().splitlines()[1:]:
        parts = line.split()
        remote, state = parts[2], parts[3]
        if state == ESTABLISHED and int(remote.rsplit(":", 1)[1], 16) == port:
            count += 1
    return count


async def _one(client: AsyncClient, n: int, report: LoadReport) -> None:
    try:
        if n % 10 == 9:
            await client.invoke(
                "POST",
                "/vmp/images",
                json={
                    "name": f"load-{n}",
                    "imageSrcUrl": f"https://example.com/load-{n}.qcow2",
                    "ostype": "linux",
                },
            )
        else:
            await client.invoke("GET", "/vmp/images", params={"limit": 5, "type": "COMMON"})
        report.outcomes["ok"] += 1
    except CdnetworksError as exc:
        report.outcomes[type(exc).__name__] += 1
    except Exception as exc:  # anything else escaping is the failure this test looks for
        report.untyped.append(repr(exc))


async def _round(client: AsyncClient, calls: int, concurrency: int, report: LoadReport) -> None:
    slots = anyio.Semaphore(concurrency)

    async def guarded(n: int) -> None:
        async with slots:
            await _one(client, n, report)

    async with anyio.create_task_group() as tg:
        for n in range(calls):
            tg.start_soon(guarded, n)


async def _sample_connections(port: int, report: LoadReport) -> None:
    while True:
        now = open_connections(port)
        if now is not None:
            report.peak_open_connections = max(report.peak_open_connections or 0, now)
        await anyio.sleep(0.02)


async def drive(
    endpoint: str,
    calls: int,
    concurrency: int = 100,
    max_connections: int = 100,
    memory_round: int = 300,
    deadline: float = 120.0,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> LoadReport:
    report = LoadReport(calls, concurrency, max_connections, memory_round_calls=memory_round)
    port = httpx.URL(endpoint).port
    assert port is not None
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    async with (
        httpx.AsyncClient(limits=limits) as http,
        AsyncClient(
            endpoint=endpoint,
            access_key=DEFAULT_ACCESS_KEY,
            secret_key=DEFAULT_SECRET_KEY,
            http_client=http,
            load_entry_points=False,
            timeout=timeout,
            retry=RetryPolicy(base_delay=0.01, max_delay=0.1, quota=RetryQuota()),
        ) as client,
    ):
        with anyio.fail_after(deadline):
            async with anyio.create_task_group() as tg:
                tg.start_soon(_sample_connections, port, report)
                started = time.perf_counter()
                await _round(client, calls, concurrency, report)
                report.seconds = time.perf_counter() - started
                tg.cancel_scope.cancel()  # the sampler's reads must not count as memory
            # Memory: one traced round to warm up, a second to see whether it grows.
            # The test harness keeps every DEBUG log record (pytest's capture and the
            # suite's canary check): quiet the logger so only the client's memory counts.
            logger = logging.getLogger("cdnetworks")
            level = logger.level
            logger.setLevel(logging.WARNING)
            tracemalloc.start()
            try:
                await _round(client, memory_round, concurrency, report)
                gc.collect()
                snapshot = tracemalloc.take_snapshot()
                for _ in range(2):
                    await _round(client, memory_round, concurrency, report)
                    gc.collect()
                    diff, snapshot = snapshot_diff(snapshot)
                    report.memory_growth_rounds.append(sum(d.size_diff for d in diff))
                    report.top_growth += [str(d) for d in diff[:3]]
            finally:
                tracemalloc.stop()
                logger.setLevel(level)
    return report


def snapshot_diff(
    before: tracemalloc.Snapshot,
) -> tuple[list[tracemalloc.StatisticDiff], tracemalloc.Snapshot]:
    after = tracemalloc.take_snapshot()
    return after.compare_to(before, "lineno"), after


def run_load(
    calls: int,
    concurrency: int = 100,
    *,
    served: ServedLog | None = None,
    latency: float | None = None,
    **kwargs: Any,
) -> LoadReport:
    with emulator_process(latency=latency, served=served) as endpoint:
        return anyio.run(lambda: drive(endpoint, calls, concurrency, **kwargs))
