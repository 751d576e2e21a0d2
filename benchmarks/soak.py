"""Issue 19's soak: ``uv run python benchmarks/soak.py [--mode sync|async|both] [--minutes 30]``.

``--concurrency`` (default 50) workers share one client (threads and a ``Client``, or tasks and
an ``AsyncClient``) against a loopback `FaultServer` (``tests/faults/server.py``) that answers 2 %
of requests with a fault, in equal parts: a TCP reset half-way through the body, a 503, a 429
(``Retry-After: 0``) and a slow body (trickled over ~0.2 s). Every other answer echoes a token
the caller put in its query, so an answer that reaches the wrong caller is counted.

Prints, every ``--every`` seconds, the calls so far, this process's open sockets and its RSS (the
series shows whether either climbs once warmed up), then the outcomes by type. The exit status
is 1 when any call raised something other than a ``CdnetworksError`` or got another's answer.
Not part of the test suite (see docs/performance.md for a run's figures).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import pathlib
import random
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from tests.faults.server import (
    FaultServer,
    Reply,
    ResetMidBody,
    Respond,
    Seen,
    Trickle,
    fault_server,
)
from tests.load.soak import open_sockets, rss_mib

from cdnetworks.core import AsyncClient, CdnetworksError, Client, Timeout
from cdnetworks.core.retry import RetryPolicy, RetryQuota

FAULT_RATE = 0.02


@dataclass
class Echo(Reply):
    """The soak's server: 98 % a 200 echoing the caller's token, 2 % one of four faults."""

    rng: random.Random = field(default_factory=lambda: random.Random(19))
    faults: collections.Counter[str] = field(default_factory=collections.Counter)

    def __call__(self, server: FaultServer, conn: socket.socket, seen: Seen) -> bool:
        token = parse_qs(seen.query).get("token", [""])[0]
        body = json.dumps({"code": "0", "message": "ok", "data": {"token": token}}).encode()
        roll = self.rng.random()
        if roll >= FAULT_RATE:
            return Respond(200, body)(server, conn, seen)
        kind = ("reset", "503", "429", "slow")[int(roll / FAULT_RATE * 4)]
        self.faults[kind] += 1
        if kind == "reset":
            return ResetMidBody(body)(server, conn, seen)
        if kind == "503":
            return Respond(503, b'{"code":"ServiceUnavailable","message":"busy"}')(
                server, conn, seen
            )
        if kind == "429":
            answer = Respond(
                429,
                b'{"code":"Throttling","message":"slow down"}',
                (("Content-Type", "application/json"), ("Retry-After", "0")),
            )
            return answer(server, conn, seen)
        return Trickle(0.2 / len(body), Respond(200, body), body_only=True)(server, conn, seen)


@dataclass
class Tally:
    calls: int = 0
    wrong_caller: int = 0
    untyped: collections.Counter[str] = field(default_factory=collections.Counter)
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, token: str, result: Any = None, error: BaseException | None = None) -> None:
        with self.lock:
            self.calls += 1
            if error is None:
                self.outcomes["result"] += 1
                # invoke knows no envelope: the answer's whole JSON, the token inside "data".
                if (result.data.get("data") or {}).get("token") != token:
                    self.wrong_caller += 1
            elif isinstance(error, CdnetworksError):
                self.outcomes[type(error).__name__] += 1
            else:
                self.untyped[f"{type(error).__name__}: {error}"] += 1


def _kwargs(endpoint: str) -> dict[str, Any]:
    return {
        "access_key": "AKSOAK",
        "secret_key": "sk-soak-secret",
        "endpoint": endpoint,
        "load_entry_points": False,
        "timeout": Timeout(connect=5, read=5, write=5, pool=10, total=20),
        "retry": RetryPolicy(base_delay=0.01, max_delay=0.1, quota=RetryQuota()),
    }


_tokens = itertools.count()


def _sync(endpoint: str, workers: int, end: float, tally: Tally) -> None:
    with Client(**_kwargs(endpoint)) as client:

        def work() -> None:
            while time.monotonic() < end:
                token = f"t{next(_tokens)}"
                try:
                    result = client.invoke("GET", "/soak", params={"token": token})
                except BaseException as exc:
                    tally.record(token, error=exc)
                else:
                    tally.record(token, result)

        threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _async(endpoint: str, workers: int, end: float, tally: Tally) -> None:
    async def run() -> None:
        async with AsyncClient(**_kwargs(endpoint)) as client:

            async def work() -> None:
                while time.monotonic() < end:
                    token = f"t{next(_tokens)}"
                    try:
                        result = await client.invoke("GET", "/soak", params={"token": token})
                    except BaseException as exc:
                        tally.record(token, error=exc)
                    else:
                        tally.record(token, result)

            await asyncio.gather(*(work() for _ in range(workers)))

    asyncio.run(run())


def soak(mode: str, seconds: float, concurrency: int, every: float) -> int:
    echo = Echo()
    tally = Tally()
    print(
        f"== {mode}: {concurrency} workers for {seconds:.0f} s, {FAULT_RATE:.0%} faults", flush=True
    )
    print("elapsed_s  calls  open_sockets  rss_mib", flush=True)
    with fault_server(echo, keep_seen=False) as server:
        started = time.monotonic()
        end = started + seconds
        runner = _sync if mode == "sync" else _async
        worker = threading.Thread(target=runner, args=(server.endpoint, concurrency, end, tally))
        worker.start()
        print(f"{0:9.0f}  {0:5d}  {open_sockets():12d}  {rss_mib():7.1f}", flush=True)
        while worker.is_alive():
            worker.join(every)
            now = time.monotonic() - started
            print(
                f"{now:9.0f}  {tally.calls:5d}  {open_sockets():12d}  {rss_mib():7.1f}", flush=True
            )
    elapsed = time.monotonic() - started
    print(f"calls {tally.calls} in {elapsed:.0f} s ({tally.calls / elapsed:.0f}/s)")
    print(f"faults sent: {dict(echo.faults)}")
    print(f"outcomes: {dict(tally.outcomes.most_common())}")
    print(f"answers to the wrong caller: {tally.wrong_caller}")
    print(f"untyped exceptions: {sum(tally.untyped.values())} {dict(tally.untyped)}")
    return 1 if tally.untyped or tally.wrong_caller else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=("sync", "async", "both"), default="both")
    parser.add_argument("--minutes", type=float, default=30.0, help="per mode (default 30)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    args = parser.parse_args(argv)
    modes = ("sync", "async") if args.mode == "both" else (args.mode,)
    failed = 0
    for mode in modes:
        failed |= soak(mode, args.minutes * 60, args.concurrency, args.every)
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
