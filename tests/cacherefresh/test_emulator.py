"""Purge tasks end to end against the emulator: submit, follow, wait, fail, spend quota.

The emulator's clock is frozen (see conftest): a waiter's progress callback advances it, so a
task moves ``wait`` -> ``run`` -> ``success`` poll by poll and no test sleeps for it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cdnetworks.cacherefresh.emulator import QUOTAS
from cdnetworks.core import ApiError, Client, ValidationError
from cdnetworks.core.emulator import Emulator
from cdnetworks.core.waiters import Progress, WaitFailedError, WaitTimeoutError
from tests.conftest import Mode
from tests.imagemanage.helpers import drain

from .conftest import TASK_SECONDS

URLS = ["https://www.example.com/a.js", "https://www.example.com/b.css"]
DIR = "https://www.example.com/img/"
#: Each poll moves the emulator's clock on by this much: three polls from wait to success.
STEP = TASK_SECONDS * 0.6
FAST: dict[str, Any] = {"poll_interval": 0.001, "max_interval": 0.001, "timeout": 5}


def ticking(emu: Emulator, seen: list[Progress[Any]]) -> Any:
    def progress(update: Progress[Any]) -> None:
        seen.append(update)
        emu.advance(STEP)

    return progress


def test_purge_then_wait_reports_progress_until_every_url_is_purged(
    mode: Mode, emu: Emulator, on_emu: Any
) -> None:
    task = mode.run(on_emu.purge, urls=URLS, dirs=[DIR])
    assert task.code == "1" and task.item_id
    seen: list[Progress[Any]] = []

    states = mode.run(on_emu.wait_for_purge, task.item_id, progress=ticking(emu, seen), **FAST)

    assert dict(states) == {URLS[0]: "success", URLS[1]: "success", DIR: "success"}
    assert [p.poll for p in seen] == [1, 2, 3]
    # While the task runs, a poll counts its entries by state (the value holds the failures
    # known so far); the last one reads every entry.
    assert [dict(p.value) for p in seen] == [{}, {}, dict(states)]
    assert [(p.done, p.total) for p in seen] == [(0, 3), (0, 3), (3, 3)]
    assert [p.finished for p in seen] == [False, False, True]
    assert seen[0].summary().startswith(f"purge task {task.item_id}: 0 of 3 URLs final (")
    assert all(p.request_id for p in seen)


def test_wait_narrowed_to_some_urls(mode: Mode, emu: Emulator, on_emu: Any) -> None:
    task = mode.run(on_emu.purge, urls=URLS)
    emu.advance(TASK_SECONDS * 1.5)
    states = mode.run(on_emu.wait_for_purge, task.item_id, [URLS[1]], **FAST)
    assert dict(states) == {URLS[1]: "success"}


def test_a_failing_url_ends_the_wait_with_wait_failed_error(
    mode: Mode, emu: Emulator, on_emu: Any
) -> None:
    emu.service("cacherefresh").mark_failing(URLS[1])
    task = mode.run(on_emu.purge, urls=URLS)
    seen: list[Progress[Any]] = []
    with pytest.raises(WaitFailedError) as caught:
        mode.run(on_emu.wait_for_purge, task.item_id, progress=ticking(emu, seen), **FAST)
    error = caught.value
    assert dict(error.last) == {URLS[0]: "success", URLS[1]: "failure"}
    assert f"{URLS[1]}=failure" in str(error)
    assert error.polls == len(seen) == 3
    assert error.action == "GetPurgeStatus"


def test_done_and_failed_states_are_overridable(mode: Mode, emu: Emulator, on_emu: Any) -> None:
    task = mode.run(on_emu.purge, urls=URLS)
    # "run" counts as done: the purge has reached the edge, good enough for this caller.
    emu.advance(TASK_SECONDS / 2)
    states = mode.run(on_emu.wait_for_purge, task.item_id, done_states=["run"], **FAST)
    assert set(states.values()) == {"run"}
    with pytest.raises(WaitFailedError):
        mode.run(on_emu.wait_for_purge, task.item_id, failed_states=["run"], **FAST)


def test_wait_times_out_while_the_task_runs(mode: Mode, emu: Emulator, on_emu: Any) -> None:
    task = mode.run(on_emu.purge, urls=URLS)
    with pytest.raises(WaitTimeoutError) as caught:
        mode.run(
            on_emu.wait_for_purge,
            task.item_id,
            timeout=0.02,
            poll_interval=0.005,
            max_interval=0.005,
        )
    # No entry is final yet: nothing failed, and the message counts the task's real size.
    assert dict(caught.value.last) == {}
    assert f"0 of {len(URLS)} URLs final" in str(caught.value)
    assert caught.value.polls >= 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"urls": URLS[0]}, "urls"),
        ({"done_states": "success"}, "done_states"),
        ({"failed_states": "failure"}, "failed_states"),
        ({"timeout": -1}, "timeout"),
        ({"poll_interval": -1}, "poll_interval"),
        ({"backoff": 0.5}, "backoff"),
    ],
)
def test_bad_waiter_arguments_fail_before_any_poll(
    mode: Mode, emu: Emulator, on_emu: Any, kwargs: dict[str, Any], field: str
) -> None:
    task = mode.run(on_emu.purge, urls=URLS)
    before = emu.calls
    with pytest.raises(ValidationError) as caught:
        mode.run(on_emu.wait_for_purge, task.item_id, **kwargs)
    assert caught.value.field == field
    assert emu.calls == before


def test_every_purge_kind_uses_its_own_quota(mode: Mode, emu: Emulator, on_emu: Any) -> None:
    fresh = mode.run(on_emu.get_purge_quota)
    assert (fresh.url_quota, fresh.remaining_url_quota) == (QUOTAS["url"], QUOTAS["url"])

    mode.run(on_emu.purge, urls=URLS, dirs=[DIR])
    mode.run(on_emu.purge_urls_matching_regex, url_regulars=[r"https://www\.example\.com/.*"])
    mode.run(on_emu.purge_file_with_tag, tag="release-7")

    quota = mode.run(on_emu.get_purge_quota)
    assert quota.remaining_url_quota == QUOTAS["url"] - 2
    assert quota.remaining_dir_quota == QUOTAS["dir"] - 1
    assert quota.remaining_regex_quota == QUOTAS["regex"] - 1
    assert quota.remaining_tag_quota == QUOTAS["tag"] - 1
    limit = mode.run(on_emu.query_purge_limit)
    assert (limit.url_upper, limit.url_remain) == (QUOTAS["url"], QUOTAS["url"] - 2)
    assert (limit.tag_upper, limit.tag_remain) == (QUOTAS["tag"], QUOTAS["tag"] - 1)
    residuals = mode.run(on_emu.query_purge_residuals, type="purge")
    assert (residuals.dir_upper, residuals.dir_remain) == (QUOTAS["dir"], QUOTAS["dir"] - 1)


def test_a_purge_over_the_remaining_quota_is_refused_and_costs_nothing(
    mode: Mode, emu: Emulator, on_emu: Any
) -> None:
    # A tag purge is the smallest daily quota: use it up, then one more is refused.
    for n in range(QUOTAS["tag"]):
        emu.service("cacherefresh").board.submit([(f"t{n}", 3, "tag")], emu.now())
    with pytest.raises(ApiError) as caught:
        mode.run(on_emu.purge_file_with_tag, tag="one-too-many")
    assert (caught.value.status_code, caught.value.code) == (400, "QuotaExceeded")
    assert mode.run(on_emu.get_purge_quota).remaining_tag_quota == 0
    assert mode.run(on_emu.get_purge_quota).remaining_url_quota == QUOTAS["url"]


def test_status_pages_and_filters_over_the_emulated_tasks(
    mode: Mode, emu: Emulator, on_emu: Any
) -> None:
    urls = [f"https://www.example.com/{n}.js" for n in range(5)]
    first = mode.run(on_emu.purge, urls=urls)
    emu.advance(TASK_SECONDS * 1.5)
    second = mode.run(on_emu.purge, urls=[URLS[0]])

    walked = drain(mode, on_emu.iter_purge_status(item_id=first.item_id, page_size=2))
    assert [d.url for d in walked] == urls
    assert {d.status for d in walked} == {"success"}
    waiting = drain(mode, on_emu.iter_purge_status(status="wait"))
    assert [d.url for d in waiting] == [URLS[0]]
    one = mode.run(on_emu.get_purge_status, item_id=second.item_id, url=URLS[0])
    assert [(d.url, d.status, d.is_dir) for d in one.result_detail] == [(URLS[0], "wait", 0)]
    # count is the number of matching tasks on all pages, not of this page.
    page = mode.run(on_emu.get_purge_status, item_id=first.item_id, page_size=2, page_no=3)
    assert (page.count, len(page.result_detail), page.page_no) == (5, 1, 3)
    before = emu.calls
    assert len(drain(mode, on_emu.iter_purge_status(item_id=first.item_id, page_size=5))) == 5
    assert emu.calls == before + 1


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/ccm/purge/ItemIdReceiver", {"urls": ["www.example.com/a.js"]}, "http:// or https://"),
        ("/ccm/purge/ItemIdReceiver", {"dirs": ["https://www.example.com/img"]}, "end with /"),
        ("/ccm/purge/ItemIdReceiver", {}, "at least one item is needed"),
        ("/ccm/purge/ItemIdReceiver", {"urls": URLS, "urlAction": "nuke"}, "urlAction"),
        ("/ccm/purge/ItemIdReceiver", {"urls": URLS, "force": True}, "force"),
        ("/ccm/purge/ItemIdQuery", {"pageNo": 0}, "pageNo"),
        ("/api/content/regular-url/purge", {}, "urlRegulars"),
    ],
)
def test_the_emulator_refuses_invalid_requests_with_400_in_the_envelope_shape(
    emu: Emulator, path: str, body: dict[str, Any], words: str
) -> None:
    # Raw signed requests, past the client's own validation, as another SDK might send them.
    answers: list[httpx.Response] = []
    inner = emu.transport()

    def keep(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        response.read()
        answers.append(response)
        return response

    transport = httpx.MockTransport(keep)
    core = Client(**emu.client_kwargs(), transport=transport, max_attempts=1)
    with core, pytest.raises(ApiError) as caught:
        core.invoke("POST", path, json=body)
    assert caught.value.status_code == 400
    (answer,) = answers
    assert answer.status_code == 400
    refused = answer.json()
    assert set(refused) == {"Code", "Message"}
    assert refused["Code"] == "InvalidParameter"
    assert words in refused["Message"]
    assert emu.service("cacherefresh").board.entries == []
