"""A 5,000-URL job killed with SIGKILL at random points, then resumed: every URL purged once.

The job runs in a child process against an emulator served on loopback by this process (its
state outlives each killed child). Answers to Purge are delayed after the service took the
batch, so kills land before, during (batch taken, answer not yet recorded) and after sends.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cdnetworks.core.emulator import FaultRule, Latency

from .conftest import entries, job_emulator

CHILD = """
import json, sys
from cdnetworks.cacherefresh import CacheRefreshClient
from cdnetworks.core import RateLimiter
endpoint, key, secret, targets, journal = sys.argv[1:6]
with open(targets) as lines, CacheRefreshClient(
    endpoint=endpoint, access_key=key, secret_key=secret, allow_insecure_http=True,
    max_attempts=1, rate_limiter=RateLimiter(10_000, 1.0), load_entry_points=False,
) as client:
    report = client.purge_many(
        urls=(line.strip() for line in lines), journal=journal, poll_interval=0.05,
        max_interval=0.2,
    )
    print(json.dumps(report.to_json()))
"""


@pytest.mark.slow
def test_kill_9_at_random_points_then_resume(tmp_path: Path) -> None:
    emu = job_emulator(faults=[FaultRule(Latency(0.25), rate=1.0, actions=["Purge"])])
    urls = [f"https://www.example.com/k/{i}.js" for i in range(5000)]
    targets = tmp_path / "urls.txt"
    targets.write_text("\n".join(urls) + "\n")
    journal = tmp_path / "job.sqlite"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    rng = random.Random(17)
    with emu.serve() as server:
        creds = emu.client_kwargs()
        argv = [
            sys.executable,
            str(script),
            server.endpoint,
            creds["access_key"],
            creds["secret_key"],
            str(targets),
            str(journal),
        ]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        kills = 0
        for _ in range(6):
            child = subprocess.Popen(  # noqa: S603 - our own console script and child
                argv, stdout=subprocess.DEVNULL, env=env
            )
            time.sleep(rng.uniform(0.3, 1.2))
            if child.poll() is not None:
                break
            child.send_signal(signal.SIGKILL)
            child.wait()
            kills += 1
        done = subprocess.run(  # noqa: S603 - our own console script and child
            argv, stdout=subprocess.PIPE, env=env, timeout=120, check=True
        )
    report = json.loads(done.stdout)
    assert kills >= 3
    # Every URL purged exactly once, whatever the kills interrupted.
    assert entries(emu) == dict.fromkeys(urls, 1)
    assert report["summary"] == {"success": 5000, "failure": 0, "skipped": 0, "unknown": 0}
    assert [item["target"] for item in report["items"]] == urls
    assert all(item["status"] == "success" for item in report["items"])
    assert emu.service("cacherefresh").board.remaining("url") == 0
