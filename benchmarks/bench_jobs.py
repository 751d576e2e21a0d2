"""Jobs at scale: planning and journaling, a million-line input, and pacing under the rate limit.

Each case runs in a fresh child process (so its peak RSS is its own) against an in-process
emulator:

- plan + journal 100,000 targets (``purge_many(dry_run=True)``: read, normalize, check,
  de-duplicate, stream into the SQLite journal, plan batches), beside the floor of the same
  100,000 rows inserted into SQLite with ``executemany``;
- a 1,000,000-line file read through a dry run (target: peak RSS under 150 MB);
- a 20,000-URL prefetch against the emulator with the rate limits compressed (30 calls of an
  action per window), sending its 50 batches: wall time against the least time the limit
  allows (target: within 10%), and the whole job followed to the end for information.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import Row, Target

CHILD = r"""
import json, os, resource, sqlite3, sys, time
case, arg = sys.argv[1], sys.argv[2]
started = time.perf_counter()
extra = {}
if case == "sqlite-floor":
    n = int(arg)
    path = os.path.join(sys.argv[3], "floor.sqlite")
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, kind TEXT, target TEXT, pos INT, "
               "UNIQUE (kind, target))")
    rows = (("url", f"https://www.example.com/a/{i}.png", i) for i in range(n))
    db.executemany("INSERT OR IGNORE INTO t (kind, target, pos) VALUES (?, ?, ?)", rows)
    db.commit()
elif case in ("plan", "file"):
    from cdnetworks.cacherefresh import CacheRefreshClient
    from cdnetworks.cacherefresh.emulator import CacheRefreshService
    from cdnetworks.core.emulator import Emulator
    emu = Emulator(services=[CacheRefreshService()])
    started = time.perf_counter()
    if case == "plan":
        targets = (f"https://www.example.com/a/{i}.png" for i in range(int(arg)))
    else:
        handle = open(arg)
        targets = ((n, line.strip()) for n, line in enumerate(handle, 1))
    with CacheRefreshClient(**emu.client_kwargs(), transport=emu.transport()) as cdn:
        report = cdn.purge_many(urls=targets, dry_run=True)
    extra = {"batches": report.plan.batches}
elif case in ("prefetch-send", "prefetch-job"):
    from cdnetworks.core import RateLimiter
    from cdnetworks.core.emulator import Emulator, ThrottleLimits
    from cdnetworks.cacherefresh.emulator import CacheRefreshService
    from cdnetworks.fileprefetch import FilePrefetchClient
    from cdnetworks.fileprefetch.emulator import FilePrefetchService
    window = float(arg)
    emu = Emulator(
        services=[CacheRefreshService(), FilePrefetchService(task_seconds=0.5)],
        throttle=ThrottleLimits(per_account=300, per_action=30, window=window),
    )
    # The client's limiter books a little above the server's window (send vs arrival).
    limiter = RateLimiter(300, window * 1.02, per_action=(30, window * 1.02))
    urls = [f"https://www.example.com/f/{i}.bin" for i in range(20000)]
    with FilePrefetchClient(**emu.client_kwargs(), transport=emu.transport(),
                            rate_limiter=limiter) as client:
        started = time.perf_counter()
        report = client.prefetch_many(urls=urls, wait=case == "prefetch-job", poll_interval=0.5)
    assert report.summary["failure"] == 0
    extra = {
        "least": report.plan.least_seconds,
        "throttled": sum(1 for e in emu.exchanges if e.status == 429),
        "status_calls": report.status_calls,
        "batches": report.plan.batches,
    }
seconds = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
print(json.dumps({"seconds": seconds, "rss_mb": rss, **extra}))
"""


def _child(case: str, arg: str, folder: str) -> dict[str, float]:
    out = subprocess.run(  # noqa: S603 - this interpreter running the code above
        [sys.executable, "-c", CHILD, case, arg, folder],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _median(case: str, arg: str, folder: str, runs: int) -> dict[str, float]:
    results = [_child(case, arg, folder) for _ in range(runs)]
    best = sorted(results, key=lambda r: r["seconds"])[len(results) // 2]
    best["seconds"] = statistics.median(r["seconds"] for r in results)
    best["rss_mb"] = max(r["rss_mb"] for r in results)
    return best


def run(quick: bool) -> list[Row]:
    runs = 1 if quick else 3
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as folder:
        n = 20_000 if quick else 100_000
        floor = _median("sqlite-floor", str(n), folder, runs)
        plan = _median("plan", str(n), folder, runs)
        group = f"jobs: plan + journal {n:,} targets"
        rows.append(
            Row(
                group,
                "sqlite executemany (floor)",
                floor["seconds"],
                1.0,
                f"peak RSS {floor['rss_mb']:.0f} MB",
            )
        )
        rows.append(
            Row(
                group,
                "purge_many(dry_run=True)",
                plan["seconds"],
                plan["seconds"] / floor["seconds"],
                f"peak RSS {plan['rss_mb']:.0f} MB, {plan['batches']:.0f} batches",
            )
        )

        lines = 100_000 if quick else 1_000_000
        big = Path(folder) / "targets.txt"
        with big.open("w") as handle:
            for i in range(lines):
                handle.write(f"https://www.example.com/big/{i}/index.html\n")
        dry = _median("file", str(big), folder, 1)
        group = f"jobs: {lines:,}-line file through a dry run"
        ok = dry["rss_mb"] < 150
        rows.append(
            Row(
                group,
                "purge_many(urls=<file>, dry_run=True)",
                dry["seconds"],
                1.0,
                f"peak RSS {dry['rss_mb']:.0f} MB",
                Target(
                    f"{lines:,}-line dry run: peak RSS",
                    f"{dry['rss_mb']:.0f} MB",
                    "-",
                    "< 150 MB",
                    ok,
                ),
            )
        )

        window = "2" if quick else "5"
        send = _median("prefetch-send", window, folder, runs)
        ratio = send["seconds"] / send["least"] if send["least"] else float("inf")
        group = f"jobs: 20,000-URL prefetch, 30 calls/action per {window} s"
        rows.append(Row(group, "least time the rate limit allows (50 batches)", send["least"], 1.0))
        rows.append(
            Row(
                group,
                "prefetch_many(wait=False): send every batch",
                send["seconds"],
                ratio,
                f"{send['throttled']:.0f} answers 429",
                Target(
                    "20,000-URL prefetch: send time vs rate limit",
                    f"{send['seconds']:.2f} s",
                    f"{ratio:.2f}x the least time",
                    "<= 1.10x, no 429",
                    ratio <= 1.10 and send["throttled"] == 0,
                ),
            )
        )
        job = _median("prefetch-job", window, folder, 1)
        rows.append(
            Row(
                group,
                "prefetch_many(): sent and followed to the end",
                job["seconds"],
                job["seconds"] / send["least"],
                f"{job['status_calls']:.0f} status calls, {job['throttled']:.0f} x 429",
            )
        )
    return rows
