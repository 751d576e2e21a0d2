"""File prefetch through the public clients, sync and async: the wire, the envelope, validation,
retries and paging against respx, then prefetch tasks end to end against the emulator (its clock
frozen and moved on by the waiter's progress callback, so nothing sleeps)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from cdnetworks.core import ApiError, BusinessError, ServerError, ValidationError
from cdnetworks.core.emulator import Emulator
from cdnetworks.core.waiters import Progress, WaitFailedError
from cdnetworks.fileprefetch import PrefetchResponse, PrefetchTaskDetail
from cdnetworks.fileprefetch.emulator import DAILY_URLS
from tests.conftest import Mode
from tests.imagemanage.helpers import RID, assert_signed, drain, reply

from .conftest import TASK_SECONDS

URLS = ["https://dl.example.com/app-1.2.apk", "https://dl.example.com/video.mp4"]
FAST: dict[str, Any] = {"poll_interval": 0.001, "max_interval": 0.001, "timeout": 5}


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def test_prefetch_posts_the_urls_and_returns_the_item_id(
    mode: Mode, api: respx.MockRouter, prefetch: Any
) -> None:
    route = api.post("/ccm/fetch/ItemIdReceiver").mock(
        return_value=reply(body={"Code": 1, "Message": "handled", "itemId": "item-7"})
    )
    answer = mode.run(prefetch.prefetch, urls=URLS, is_range=1)
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.url.raw_path == b"/ccm/fetch/ItemIdReceiver"
    assert request.content == (
        b'{"urls":["https://dl.example.com/app-1.2.apk","https://dl.example.com/video.mp4"],'
        b'"isRange":1}'
    )
    assert_signed(request)
    assert answer == PrefetchResponse(request_id=RID, code=1, message="handled", item_id="item-7")


def test_prefetch_refused_in_the_envelope_is_a_business_error(
    mode: Mode, api: respx.MockRouter, prefetch: Any
) -> None:
    api.post("/ccm/fetch/ItemIdReceiver").mock(
        return_value=reply(body={"Code": 0, "Message": "quota used up"})
    )
    with pytest.raises(BusinessError) as caught:
        mode.run(prefetch.prefetch, urls=URLS)
    assert (caught.value.code, caught.value.message, caught.value.request_id) == (
        "0",
        "quota used up",
        RID,
    )


@pytest.mark.parametrize(
    ("method", "kwargs", "field", "words"),
    [
        ("prefetch", {}, "urls", "required"),
        ("prefetch", {"urls": []}, "urls", "length >= 1"),
        ("prefetch", {"urls": URLS[0]}, "urls", "got `str`"),
        ("prefetch", {"urls": URLS, "is_range": 2}, "is_range", ""),
        ("prefetch", {"urls": URLS, "is_range": "1"}, "is_range", "got `str`"),
        ("get_prefetch_status", {"status": "queued"}, "status", "success, failure, wait, run"),
        ("get_prefetch_status", {"page_size": 0}, "page_size", ">= 1"),
    ],
)
def test_bad_arguments_are_refused_before_sending(
    mode: Mode,
    api: respx.MockRouter,
    prefetch: Any,
    method: str,
    kwargs: dict[str, Any],
    field: str,
    words: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        mode.run(getattr(prefetch, method), **kwargs)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert not api.calls


def test_prefetch_is_not_retried_but_the_status_query_is(
    mode: Mode, api: respx.MockRouter, prefetch: Any
) -> None:
    busy = reply(503, {"Code": "ServiceUnavailable", "Message": "busy"})
    submit = api.post("/ccm/fetch/ItemIdReceiver").mock(return_value=busy)
    with pytest.raises(ServerError):
        mode.run(prefetch.prefetch, urls=URLS)
    assert submit.call_count == 1
    query = api.post("/ccm/fetch/ItemIdQuery").mock(
        side_effect=[busy, reply(body={"Code": 1, "resultDetail": []})]
    )
    mode.run(prefetch.get_prefetch_status, item_id="item-7")
    assert query.call_count == 2


def test_iter_prefetch_status_walks_the_page_numbers(
    mode: Mode, api: respx.MockRouter, prefetch: Any
) -> None:
    everything = [{"url": f"https://dl.example.com/{n}.bin", "status": "run"} for n in range(3)]

    def answer(request: httpx.Request) -> httpx.Response:
        sent = body(request)
        size, number = sent["pageSize"], sent["pageNo"]
        shown = everything[(number - 1) * size : number * size]
        return reply(body={"Code": 1, "resultDetail": shown})

    route = api.post("/ccm/fetch/ItemIdQuery").mock(side_effect=answer)
    walked = drain(mode, prefetch.iter_prefetch_status(status="run", page_size=2))
    assert walked == [PrefetchTaskDetail(url=d["url"], status="run") for d in everything]
    assert [body(c.request) for c in route.calls] == [
        {"status": "run", "pageNo": 1, "pageSize": 2},
        {"status": "run", "pageNo": 2, "pageSize": 2},
    ]


def ticking(emu: Emulator, seen: list[Progress[Any]]) -> Any:
    def progress(update: Progress[Any]) -> None:
        seen.append(update)
        emu.advance(TASK_SECONDS * 0.6)

    return progress


def test_prefetch_then_wait_until_every_url_is_on_the_edge(
    mode: Mode, emu: Emulator, on_emu: Any
) -> None:
    task = mode.run(on_emu.prefetch, urls=URLS)
    seen: list[Progress[Any]] = []
    states = mode.run(on_emu.wait_for_prefetch, task.item_id, progress=ticking(emu, seen), **FAST)
    assert dict(states) == dict.fromkeys(URLS, "success")
    # Polls count the task's entries by state; the last one reads them all.
    assert [dict(p.value) for p in seen] == [{}, {}, dict(states)]
    assert [(p.done, p.total) for p in seen] == [(0, 2), (0, 2), (2, 2)]
    assert seen[-1].summary().startswith(f"prefetch task {task.item_id}: 2 of 2 URLs final")
    status = mode.run(on_emu.get_prefetch_status, item_id=task.item_id)
    assert [(d.url, d.status, d.rate) for d in status.result_detail] == [
        (u, "success", "100") for u in URLS
    ]


def test_a_failing_url_ends_the_wait_with_wait_failed_error(
    mode: Mode, emu: Emulator, on_emu: Any
) -> None:
    emu.service("fileprefetch").mark_failing(URLS[0])
    task = mode.run(on_emu.prefetch, urls=URLS)
    with pytest.raises(WaitFailedError) as caught:
        mode.run(on_emu.wait_for_prefetch, task.item_id, progress=ticking(emu, []), **FAST)
    assert dict(caught.value.last) == {URLS[0]: "failure", URLS[1]: "success"}
    assert f"{URLS[0]}=failure" in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"urls": URLS[0]}, "urls"), ({"done_states": "success"}, "done_states")],
)
def test_bad_waiter_arguments_fail_before_any_poll(
    mode: Mode, emu: Emulator, on_emu: Any, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        mode.run(on_emu.wait_for_prefetch, "item-7", **kwargs)
    assert caught.value.field == field
    assert emu.calls == 0


def test_quota_runs_out_and_the_emulator_refuses_with_400(
    mode: Mode, emu: Emulator, on_emu: Any
) -> None:
    board = emu.service("fileprefetch").board
    board.submit([(f"https://dl.example.com/{n}", 0, "url") for n in range(DAILY_URLS - 1)], 0)
    assert board.remaining("url") == 1
    # Two URLs where one is left: refused whole, nothing recorded.
    with pytest.raises(ApiError) as caught:
        mode.run(on_emu.prefetch, urls=URLS)
    assert (caught.value.status_code, caught.value.code) == (400, "QuotaExceeded")
    assert board.remaining("url") == 1
    mode.run(on_emu.prefetch, urls=URLS[:1])
    assert board.remaining("url") == 0


def test_a_url_without_a_scheme_is_refused_before_sending_and_by_the_emulator(
    mode: Mode, emu: Emulator, on_emu: Any
) -> None:
    # The declared item rules of Prefetch refuse it in the client, naming the item...
    with pytest.raises(ValidationError) as refused:
        mode.run(on_emu.prefetch, urls=["dl.example.com/app.apk"])
    assert refused.value.field == "urls[0]"
    assert "http:// or https://" in str(refused.value)
    assert emu.calls == 0
    # ...and the emulator enforces the same facts on a request that skipped them.
    with pytest.raises(ApiError) as caught:
        mode.run(
            on_emu.core.invoke,
            "POST",
            "/ccm/fetch/ItemIdReceiver",
            json={"urls": ["dl.example.com/app.apk"]},
        )
    assert caught.value.status_code == 400
    refused_body = json.loads(caught.value.body)
    assert refused_body["Code"] == "InvalidParameter"
    assert "http:// or https://" in refused_body["Message"]
