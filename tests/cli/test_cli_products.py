"""The generated products through the ``cdnetworks`` command: in-process against an emulator with
quick tasks (every request captured), and as the installed console script with ``--emulator``."""

from __future__ import annotations

import io
import json
import pathlib
import subprocess
import sys
from typing import Any

import httpx
import pytest

from cdnetworks.cacherefresh.emulator import CacheRefreshService
from cdnetworks.cli.main import main
from cdnetworks.core.emulator import Emulator
from cdnetworks.fileprefetch.emulator import FilePrefetchService

CLI = str(pathlib.Path(sys.executable).with_name("cdnetworks"))
URLS = ["https://www.example.com/a.js", "https://www.example.com/b.css"]
#: Real time here: an emulated task takes 0.1 s and the waits poll every 0.03 s.
POLL = ["--poll-interval", "0.03", "--max-interval", "0.03", "--timeout", "10"]


class Shell:
    """``cdnetworks ...`` run in-process against one emulator, keeping every request sent."""

    def __init__(self) -> None:
        self.emu = Emulator(
            services=[CacheRefreshService(task_seconds=1.0), FilePrefetchService(task_seconds=1.0)]
        )
        self.sent: list[httpx.Request] = []
        inner = self.emu.transport()

        def keep(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            return inner.handle_request(request)

        self._transport = httpx.MockTransport(keep)

    def __call__(self, *argv: str) -> tuple[int, Any, str]:
        out, err = io.StringIO(), io.StringIO()
        kwargs: dict[str, Any] = {**self.emu.client_kwargs(), "transport": self._transport}
        code = main(list(argv), client_kwargs=kwargs, stdout=out, stderr=err)
        text = out.getvalue()
        return code, json.loads(text) if text else None, err.getvalue()

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.sent]


@pytest.fixture
def shell() -> Shell:
    return Shell()


def test_purge_then_wait_for_purge(shell: Shell) -> None:
    code, task, err = shell("cacherefresh", "purge", "--urls", *URLS, "--url-action", "delete")
    assert (code, err) == (0, "")
    assert task["Code"] == "1" and task["itemId"]
    assert shell.bodies() == [{"urls": URLS, "urlAction": "delete"}]

    code, states, _ = shell("cacherefresh", "wait-for-purge", task["itemId"], *POLL)
    assert code == 0
    assert states == dict.fromkeys(URLS, "success")
    polls = shell.sent[1:]
    assert len(polls) >= 2  # the task was still waiting at the first poll
    assert {r.url.path for r in polls} == {"/ccm/purge/ItemIdQuery"}
    assert all(json.loads(r.content)["itemId"] == task["itemId"] for r in polls)


def test_wait_for_purge_of_a_failing_url_exits_1_with_one_line(shell: Shell) -> None:
    shell.emu.service("cacherefresh").mark_failing(URLS[1])
    _, task, _ = shell("cacherefresh", "purge", "--urls", *URLS)
    code, out, err = shell(
        "cacherefresh", "wait-for-purge", task["itemId"], "--urls", URLS[1], *POLL
    )
    assert (code, out) == (1, None)
    # Progress lines on stderr (one per poll), then the error on one line.
    *progress, last = err.splitlines()
    assert progress and all(line.startswith(f"purge task {task['itemId']}: ") for line in progress)
    assert last.startswith("cdnetworks: error: GetPurgeStatus: ")
    assert f"{URLS[1]}=failure" in last


def test_prefetch_sends_is_range_as_a_number(shell: Shell) -> None:
    code, task, _ = shell("fileprefetch", "prefetch", "--urls", URLS[0], "--is-range", "1")
    assert code == 0 and task["itemId"]
    assert shell.sent[-1].content == b'{"urls":["https://www.example.com/a.js"],"isRange":1}'
    code, states, _ = shell("fileprefetch", "wait-for-prefetch", task["itemId"], *POLL)
    assert (code, states) == (0, {URLS[0]: "success"})


def test_choices_and_required_options_are_usage_errors(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ["fileprefetch", "prefetch", "--urls", URLS[0], "--is-range", "2"],
        ["cacherefresh", "purge", "--urls", URLS[0], "--url-action", "nuke"],
    ):
        with pytest.raises(SystemExit) as info:
            shell(*argv)
        assert info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: '2' (choose from 0, 1)" in err
    assert "invalid choice: 'nuke'" in err
    # Required options are checked once --cli-input-json could have supplied them.
    code, _, err = shell("fileprefetch", "prefetch")
    assert code == 2
    assert "the following arguments are required: --urls" in err
    assert shell.sent == []


def test_paginate_walks_the_page_numbers(shell: Shell) -> None:
    urls = [f"https://www.example.com/{n}.js" for n in range(5)]
    shell("cacherefresh", "purge", "--urls", *urls)
    code, walked, _ = shell("cacherefresh", "get-purge-status", "--paginate", "--page-size", "2")
    assert code == 0
    # Every page's items in the shape of one page.
    assert [item["url"] for item in walked["resultDetail"]] == urls
    assert [b["pageNo"] for b in shell.bodies()[1:]] == [1, 2, 3]
    code, _, err = shell("cacherefresh", "get-purge-status", "--paginate", "--page-no", "2")
    assert code == 2
    assert "--page-no does not go with --paginate" in err
    assert len(shell.sent) == 4


def test_quota_after_a_purge(shell: Shell) -> None:
    shell("cacherefresh", "purge", "--urls", *URLS)
    code, quota, _ = shell("cacherefresh", "get-purge-quota")
    assert code == 0
    assert quota["urlQuota"] - quota["remainingUrlQuota"] == 2


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["cacherefresh", "purge", "--urls", URLS[0], "--dirs", "https://www.example.com/img/"],
        ["fileprefetch", "prefetch", "--urls", URLS[0], "--is-range", "0"],
    ],
)
def test_console_script_with_the_in_process_emulator(argv: list[str]) -> None:
    done = subprocess.run(  # noqa: S603 - our own console script
        [CLI, "--emulator", *argv], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["Code"] == "1" and answer["itemId"] and answer["requestId"]
