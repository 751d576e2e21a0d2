"""The command line job, killed with SIGKILL mid-run and resumed, against hostile conditions.

What the issue's judge runs, rebuilt: the emulator on loopback checks every signature, enforces
the real per-call limits and daily quotas, and the account's rate limits compressed from 5
minutes to 2 seconds; it drops the answer to one Purge it accepted. ``cdnetworks cacherefresh
purge-many`` runs as its own process and is killed at chosen points (before the first batch,
with a batch taken but unanswered, after the lost answer, while following the tasks), then run
again with the same ``--journal`` until it finishes.

The child is the CLI's own ``main`` given a limiter at the compressed limits (the environment
variables ``CDNETWORKS_RATE_LIMIT*`` that would say the same belong to issue 18).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnetworks.core.emulator import Drop, Emulator, FaultRule, Latency, ThrottleLimits

from .conftest import calls_of, entries, job_emulator

WINDOW = 2.0  # the emulator's 5 minutes
CHILD = """
import sys
from cdnetworks.cli.main import main
from cdnetworks.core import RateLimiter
window = float(sys.argv[1])
limiter = RateLimiter(300, window, per_action=(30, window))
sys.exit(main(sys.argv[2:], client_kwargs={"rate_limiter": limiter}))
"""


def wait_for(condition: Callable[[], bool], child: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if child.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the job ended or stalled before the kill point ({child.returncode})")
        time.sleep(0.01)


@pytest.mark.slow
def test_cli_job_killed_mid_run_and_resumed_purges_each_url_once(tmp_path: Path) -> None:
    emu: Emulator = job_emulator(
        throttle=ThrottleLimits(per_account=300, per_action=30, window=WINDOW),
        faults=[
            # Answers come 0.15 s after the service took the batch: kills land in between.
            FaultRule(Latency(0.15), rate=1.0, actions=["Purge"]),
            # The third Purge is taken, and its answer lost.
            FaultRule(Drop(after_processing=True), calls=[3], actions=["Purge"]),
        ],
    )
    urls = [f"https://www.example.com/cli/{i}.css" for i in range(5000)]
    targets = tmp_path / "urls.txt"
    targets.write_text("# the release's assets\n" + "\n".join(urls) + "\n\n")
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{urls[0]}\nwww.example.com/no-scheme\n")
    journal = tmp_path / "job.sqlite"
    script = tmp_path / "child.py"
    script.write_text(CHILD)

    with emu.serve() as server:
        creds = emu.client_kwargs()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CDNETWORKS_")},
            "CDNETWORKS_ENDPOINT": server.endpoint,
            "CDNETWORKS_ACCESS_KEY": creds["access_key"],
            "CDNETWORKS_SECRET_KEY": creds["secret_key"],
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        # Headroom over the server's window for the time between send and arrival.
        base = [sys.executable, str(script), str(WINDOW + 0.1), "cacherefresh", "purge-many"]
        job = [*base, "--urls-from", str(targets), "--journal", str(journal)]
        job += ["--poll-interval", "0.05", "--output", "json"]

        refused = subprocess.run(  # noqa: S603 - our own CLI
            [*base, "--urls-from", str(bad), "--journal", str(tmp_path / "bad.sqlite")],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert refused.returncode == 2 and refused.stdout == ""
        assert "url 2: 'www.example.com/no-scheme' must start with http://" in refused.stderr
        assert emu.calls == 0

        def purges() -> int:
            return calls_of(emu, "Purge")

        def status_calls() -> int:
            return calls_of(emu, "GetPurgeStatus")

        kill_points: list[Callable[[], bool]] = [
            lambda: calls_of(emu, "GetPurgeQuota") >= 1,  # quota read, no batch sent yet
            lambda: purges() >= 2,  # batch 2 taken, its answer 0.15 s away
            lambda: purges() >= 4,  # after the lost answer (batch 3) was looked up
            lambda: purges() >= 10 and status_calls() >= 8,  # following the tasks
        ]
        for point in kill_points:
            child = subprocess.Popen(  # noqa: S603 - our own CLI
                job, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=env
            )
            wait_for(point, child, timeout=30)
            child.send_signal(signal.SIGKILL)
            child.wait()
            assert child.returncode == -signal.SIGKILL
        done = subprocess.run(  # noqa: S603 - our own CLI
            job, capture_output=True, text=True, env=env, timeout=60
        )

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    # Every URL purged exactly once, through every kill and the lost answer.
    assert entries(emu) == dict.fromkeys(urls, 1)
    assert emu.service("cacherefresh").board.remaining("url") == 0  # quota spent once
    # Nothing over a limit: no 429 from the compressed rate limit, no refused call, tasks of
    # at most 500 URLs.
    assert [e.status for e in emu.exchanges if e.action == "Purge"].count(None) == 1  # lost
    answered = [e.status for e in emu.exchanges]
    assert 429 not in answered and 400 not in answered and 401 not in answered
    tasks: dict[str, int] = {}
    for entry in emu.service("cacherefresh").board.entries:
        tasks[entry.item_id] = tasks.get(entry.item_id, 0) + 1
    assert len(tasks) == 10 and max(tasks.values()) == 500
    # The report is complete: every target once, in input order, in one final state.
    assert report["summary"] == {"success": 5000, "failure": 0, "skipped": 0, "unknown": 0}
    assert [item["target"] for item in report["items"]] == urls
    assert {tuple(sorted(item)) for item in report["items"]} == {
        ("item_id", "kind", "message", "status", "target")
    }
    assert {(item["kind"], item["status"]) for item in report["items"]} == {("url", "success")}
    assert report["interrupted"] is False
    # Status calls within the budget: at most 15 per batch over all the runs.
    with sqlite3.connect(journal) as db:
        per_batch = [n for (n,) in db.execute("SELECT status_calls FROM batches")]
    assert len(per_batch) == 10 and max(per_batch) <= 15
    assert status_calls() <= 15 * 10
