"""Two ``cdnetworks cacherefresh purge-many`` jobs of 4,000 URLs each, in separate processes
configured only by ``CDNETWORKS_*`` variables and sharing one Redis, against the emulator's daily
quota of 5,000 URLs: one runs, the other is refused before it sends anything (or, with
``--allow-partial``, runs the 1,000 that fit), and the service is never asked for more than it
has. Without the shared store each process plans against the whole quota and the service refuses
the excess, so the test can fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cdnetworks.core.emulator import EmulatorServer, FaultRule, Latency
from tests.fleet.redis_server import RedisServer
from tests.jobs.conftest import calls_of, entries, job_emulator

pytestmark = pytest.mark.redis

CLI = str(Path(sys.executable).with_name("cdnetworks"))
JOBS, URLS = ("a", "b"), 4000


def start_jobs(
    server: EmulatorServer, tmp_path: Path, env_extra: dict[str, str], *flags: str
) -> list[subprocess.Popen[str]]:
    creds = server.client_kwargs()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDNETWORKS_")} | {
        "CDNETWORKS_ENDPOINT": creds["endpoint"],
        "CDNETWORKS_ACCESS_KEY": creds["access_key"],
        "CDNETWORKS_SECRET_KEY": creds["secret_key"],
        "CDNETWORKS_CREDENTIALS_FILE": os.devnull,
        # Generous limits: the quota is what is shared here, not the pace.
        "CDNETWORKS_RATE_LIMIT": "1000/1",
        **env_extra,
    }
    procs = []
    for job in JOBS:
        targets = tmp_path / f"{job}.txt"
        targets.write_text("".join(f"https://www.example.com/{job}/{i}\n" for i in range(URLS)))
        argv = [CLI, "cacherefresh", "purge-many", "--urls-from", str(targets)]
        argv += ["--poll-interval", "0.05", *flags]
        procs.append(
            subprocess.Popen(  # noqa: S603 - our own console script
                argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            )
        )
    return procs


def finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=90)
            results.append((proc.returncode, out, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


def purged_per_job(emu: object) -> dict[str, int]:
    counts = dict.fromkeys(JOBS, 0)
    for target in entries(emu):  # type: ignore[arg-type]
        counts[target.split("/")[3]] += 1
    return counts


def over_quota(emu: object) -> list[object]:
    """Purge calls the service refused because they asked for more than remained."""
    return [e for e in emu.exchanges if e.action == "Purge" and e.status >= 400]  # type: ignore[attr-defined]


@pytest.mark.parametrize("partial", [False, True], ids=["refused", "allow-partial"])
def test_two_jobs_sharing_redis_never_plan_more_than_the_quota(
    redis_server: RedisServer, prefix: str, tmp_path: Path, partial: bool
) -> None:
    # Each Purge takes 0.2 s, so the jobs overlap: neither is done before the other plans.
    emu = job_emulator(faults=[FaultRule(Latency(0.2), rate=1.0, actions=["Purge"])])
    shared = {
        "CDNETWORKS_RATE_LIMIT_BACKEND": redis_server.url,
        "CDNETWORKS_RATE_LIMIT_PREFIX": prefix,
    }
    with emu.serve() as server:
        results = finish(
            start_jobs(server, tmp_path, shared, *(["--allow-partial"] if partial else []))
        )
    codes = sorted(code for code, _, _ in results)
    purged = purged_per_job(emu)
    assert over_quota(emu) == []  # nothing was over-spent
    assert emu.service("cacherefresh").board.remaining("url") == 5000 - sum(purged.values())
    # The second job is granted what the first does not hold: 1,000, or less when it reads the
    # service's count between one of the first job's batches and its settling (never more).
    first, second = sorted(purged.values(), reverse=True)
    assert first == 4000 and first + second <= 5000, results
    if partial:
        # The second runs what fits and reports the rest as skipped.
        assert 0 < second <= 1000, results
        assert codes == [0, 1], results  # exit 1: some targets did not succeed (skipped)
        reports = [json.loads(out) for _, out, _ in results]
        assert sorted(r["summary"]["skipped"] for r in reports) == [0, URLS - second]
    else:
        assert second == 0 and calls_of(emu, "Purge") == 8  # the refused job sent no purge
        refused = [err for code, _, err in results if code != 0]
        assert len(refused) == 1 and "nothing was sent" in refused[0], results
    for _, out, err in results:
        assert redis_server.url not in out + err


def test_without_the_shared_store_the_jobs_together_overspend(tmp_path: Path) -> None:
    """The control: per-process ledgers both plan against 5,000, and the service refuses."""
    emu = job_emulator(faults=[FaultRule(Latency(0.2), rate=1.0, actions=["Purge"])])
    with emu.serve() as server:
        results = finish(start_jobs(server, tmp_path, {}))
    assert over_quota(emu), results
