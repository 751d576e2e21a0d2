"""``cdnetworks cacherefresh purge-many`` and ``fileprefetch prefetch-many``: input, report and
exit status."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cdnetworks.cli.main import main
from cdnetworks.core import RateLimiter
from cdnetworks.core.emulator import Emulator, FaultRule, Latency

from .conftest import calls_of, entries, job_emulator

CLI = str(Path(sys.executable).with_name("cdnetworks"))


def run(emu: Emulator, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    kwargs: dict[str, Any] = {
        **emu.client_kwargs(),
        "transport": emu.transport(),
        "rate_limiter": RateLimiter(10_000, 1.0),
    }
    code = main(list(argv), client_kwargs=kwargs, stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def write(path: Path, *lines: str) -> str:
    path.write_text("\n".join(lines) + "\n")
    return str(path)


FAST = ("--poll-interval", "0.05")


def test_purge_many_prints_one_json_report_and_exits_0(tmp_path: Path) -> None:
    emu = job_emulator()
    urls = write(
        tmp_path / "urls.txt",
        "# purge these",
        "https://www.example.com/a.png",
        "",
        "https://www.example.com/b.png",
        "https://www.example.com/a.png",
    )
    code, out, err = run(
        emu,
        "cacherefresh", "purge-many", "--urls-from", urls, "--dirs-from", "-",
        "--journal", str(tmp_path / "j.sqlite"), *FAST,
        stdin="https://www.example.com/img/\n",
    )  # fmt: skip
    assert code == 0, err
    document = json.loads(out)
    assert document["summary"] == {"success": 3, "failure": 0, "skipped": 0, "unknown": 0}
    assert [(i["target"], i["kind"], i["status"]) for i in document["items"]] == [
        ("https://www.example.com/a.png", "url", "success"),
        ("https://www.example.com/b.png", "url", "success"),
        ("https://www.example.com/img/", "dir", "success"),
    ]
    assert all(i["item_id"] for i in document["items"])
    assert "targets final" in err  # plain progress lines: stderr is not a terminal


def test_a_failed_target_exits_1_and_is_listed(tmp_path: Path) -> None:
    emu = job_emulator()
    emu.service("fileprefetch").mark_failing("https://www.example.com/big.iso")
    urls = write(
        tmp_path / "u.txt", "https://www.example.com/big.iso", "https://www.example.com/ok"
    )
    code, out, err = run(
        emu, "fileprefetch", "prefetch-many", "--urls-from", urls, *FAST, "--output", "table"
    )
    assert code == 1
    assert "failure: url https://www.example.com/big.iso" in err
    assert "success  1" in out and "failure  1" in out


def test_bad_input_exits_2_and_sends_nothing(tmp_path: Path) -> None:
    emu = job_emulator()
    urls = write(
        tmp_path / "u.txt", "https://www.example.com/ok", "# note", "ftp://www.example.com/x"
    )
    code, out, err = run(emu, "cacherefresh", "purge-many", "--urls-from", urls)
    assert code == 2 and out == ""
    assert "url 3: 'ftp://www.example.com/x' must start with http:// or https://" in err
    assert emu.calls == 0
    code, _, err = run(emu, "cacherefresh", "purge-many")
    assert code == 2 and "--urls-from or --dirs-from" in err
    code, _, err = run(emu, "cacherefresh", "purge-many", "--urls-from", str(tmp_path / "none"))
    assert code == 2 and "cannot read" in err
    assert emu.calls == 0


def test_dry_run_prints_the_plan_and_purges_nothing(tmp_path: Path) -> None:
    emu = job_emulator()
    lines = [f"https://www.example.com/{i}" for i in range(1201)]
    code, out, err = run(
        emu, "cacherefresh", "purge-many", "--urls-from", write(tmp_path / "u.txt", *lines),
        "--dry-run",
    )  # fmt: skip
    assert code == 0, err
    plan = json.loads(out)["plan"]
    assert (plan["batches"], plan["calls"]) == (3, 3)
    assert plan["quota_needed"] == {"purge_urls": 1201}
    assert plan["quota_left"] == {"purge_urls": 5000}
    assert calls_of(emu, "Purge") == 0


@pytest.mark.slow
def test_ctrl_c_stops_after_the_batch_in_flight_and_says_how_to_resume(tmp_path: Path) -> None:
    emu = job_emulator(faults=[FaultRule(Latency(0.4), rate=1.0, actions=["Purge"])])
    lines = [f"https://www.example.com/c/{i}" for i in range(3000)]
    urls = write(tmp_path / "u.txt", *lines)
    journal = str(tmp_path / "j.sqlite")
    with emu.serve() as server:
        creds = emu.client_kwargs()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CDNETWORKS_")},
            "CDNETWORKS_ENDPOINT": server.endpoint,
            "CDNETWORKS_ACCESS_KEY": creds["access_key"],
            "CDNETWORKS_SECRET_KEY": creds["secret_key"],
        }
        argv = [CLI, "cacherefresh", "purge-many", "--urls-from", urls, "--journal", journal, *FAST]
        child = subprocess.Popen(  # noqa: S603 - our own console script and child
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        deadline = time.monotonic() + 30
        while calls_of(emu, "Purge") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
        assert child.returncode == 130, err
        assert "run the same command again to resume" in err
        sent = calls_of(emu, "Purge")
        assert 2 <= sent < 6
        stopped = json.loads(out)
        assert stopped["interrupted"] is True
        again = subprocess.run(  # noqa: S603 - our own console script and child
            argv, capture_output=True, text=True, env=env, timeout=120
        )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["summary"]["success"] == 3000
    assert calls_of(emu, "Purge") == 6  # the stopped run's batches were not sent again
    assert entries(emu) == dict.fromkeys(lines, 1)
