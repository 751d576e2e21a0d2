"""Each cache-refresh action on the wire (method, path, body, signature), its envelope, its
validation before sending and its retry policy, through the public clients, sync and async."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from cdnetworks.cacherefresh import (
    GetPurgeStatusResponse,
    PurgeRequest,
    PurgeResponse,
    PurgeTaskDetail,
)
from cdnetworks.core import BusinessError, ServerError, ValidationError
from tests.conftest import Mode
from tests.imagemanage.helpers import RID, assert_signed, drain, reply

URL = "https://www.example.com/static/app.js"
DIR = "https://www.example.com/static/"


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def test_purge_posts_urls_and_dirs_and_returns_the_item_id(
    mode: Mode, api: respx.MockRouter, refresh: Any
) -> None:
    route = api.post("/ccm/purge/ItemIdReceiver").mock(
        return_value=reply(body={"Code": 1, "Message": "handled", "itemId": "item-42"})
    )

    answer = mode.run(refresh.purge, urls=[URL], dirs=[DIR], url_action="delete")

    request = route.calls.last.request
    assert request.method == "POST"
    assert request.url.raw_path == b"/ccm/purge/ItemIdReceiver"
    # Unset fields (dirAction) are not sent: the domain's own setting applies.
    assert request.content == (
        b'{"urls":["https://www.example.com/static/app.js"],'
        b'"dirs":["https://www.example.com/static/"],"urlAction":"delete"}'
    )
    assert request.headers["content-type"] == "application/json"
    assert_signed(request)
    assert answer == PurgeResponse(request_id=RID, code=1, message="handled", item_id="item-42")


def test_purge_takes_a_request_model(mode: Mode, api: respx.MockRouter, refresh: Any) -> None:
    route = api.post("/ccm/purge/ItemIdReceiver").mock(
        return_value=reply(body={"Code": "1", "itemId": "item-43"})
    )
    answer = mode.run(refresh.purge, PurgeRequest(dirs=[DIR], dir_action="expire"))
    assert body(route.calls.last.request) == {"dirs": [DIR], "dirAction": "expire"}
    assert answer.item_id == "item-43"


@pytest.mark.parametrize("code", [0, "0"])
def test_purge_refused_in_the_envelope_is_a_business_error(
    mode: Mode, api: respx.MockRouter, refresh: Any, code: Any
) -> None:
    api.post("/ccm/purge/ItemIdReceiver").mock(
        return_value=reply(body={"Code": code, "Message": "domain not yours"})
    )
    with pytest.raises(BusinessError) as caught:
        mode.run(refresh.purge, urls=[URL])
    error = caught.value
    assert (error.code, error.message, error.request_id) == ("0", "domain not yours", RID)
    assert error.status_code == 200
    assert error.action == "Purge"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "sent"),
    [
        (
            "purge_urls_matching_regex",
            "/api/content/regular-url/purge",
            {"url_regulars": [r"https://www\.example\.com/img/.*\.png"]},
            {"urlRegulars": [r"https://www\.example\.com/img/.*\.png"]},
        ),
        (
            "purge_file_with_tag",
            "/api/content/tag/purge",
            {"tag": "release-7", "action": "1"},
            {"tag": "release-7", "action": "1"},
        ),
    ],
)
@pytest.mark.parametrize("code", ["1", 1, "Success"])
def test_pattern_and_tag_purges_accept_both_success_codes(
    mode: Mode,
    api: respx.MockRouter,
    refresh: Any,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    sent: dict[str, Any],
    code: Any,
) -> None:
    route = api.post(path).mock(return_value=reply(body={"Code": code, "itemId": "item-9"}))
    answer = mode.run(getattr(refresh, method), **kwargs)
    request = route.calls.last.request
    assert body(request) == sent
    assert_signed(request)
    assert answer.item_id == "item-9"


def test_tag_purge_refused_with_a_text_code(
    mode: Mode, api: respx.MockRouter, refresh: Any
) -> None:
    api.post("/api/content/tag/purge").mock(
        return_value=reply(body={"Code": "Fail", "Message": "tag purging is not enabled"})
    )
    with pytest.raises(BusinessError) as caught:
        mode.run(refresh.purge_file_with_tag, tag="release-7")
    assert caught.value.code == "Fail"


def test_status_query_posts_its_filters_and_decodes_the_details(
    mode: Mode, api: respx.MockRouter, refresh: Any
) -> None:
    route = api.post("/ccm/purge/ItemIdQuery").mock(
        return_value=reply(
            body={
                "Code": 1,
                "Message": "ok",
                "count": 1,
                "pageNo": 1,
                "pageSize": 50,
                "resultDetail": [
                    {
                        "url": URL,
                        "status": "run",
                        "rate": "40",
                        "isDir": 0,
                        "createTime": "2026-11-28 01:00:00",
                        "beginTime": "2026-11-28 01:00:01",
                        "finishTime": "",
                        "nodeCount": 12,  # a field the model does not know: ignored
                    }
                ],
            }
        )
    )
    status = mode.run(
        refresh.get_purge_status,
        item_id="item-42",
        status="run",
        start_time="2026-11-28 00:00:00",
        end_time="2026-11-28 02:00:00",
        page_no=1,
        page_size=50,
    )
    request = route.calls.last.request
    assert body(request) == {
        "startTime": "2026-11-28 00:00:00",
        "endTime": "2026-11-28 02:00:00",
        "itemId": "item-42",
        "status": "run",
        "pageNo": 1,
        "pageSize": 50,
    }
    assert_signed(request)
    assert isinstance(status, GetPurgeStatusResponse)
    assert status.result_detail == [
        PurgeTaskDetail(
            url=URL,
            status="run",
            rate="40",
            is_dir=0,
            create_time="2026-11-28 01:00:00",
            begin_time="2026-11-28 01:00:01",
            finish_time="",
        )
    ]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("query_purge_limit", "/ccm/purge/limit"),
        ("get_purge_quota", "/ccm/purge/quota"),
        ("get_prefetch_quota", "/ccm/prefetch/quota"),
    ],
)
def test_quota_queries_post_an_empty_object_and_succeed_on_code_0(
    mode: Mode, api: respx.MockRouter, refresh: Any, method: str, path: str
) -> None:
    # Unlike the purges (1 is success), the quota answers say 0 for success, 1 for failure.
    route = api.post(path).mock(
        side_effect=[
            reply(body={"code": 0, "message": "success"}),
            reply(body={"code": 1, "message": "no such account"}),
        ]
    )
    mode.run(getattr(refresh, method))
    request = route.calls.last.request
    assert request.content == b"{}"
    assert_signed(request)
    with pytest.raises(BusinessError) as caught:
        mode.run(getattr(refresh, method))
    assert (caught.value.code, caught.value.message) == ("1", "no such account")


def test_residuals_go_in_the_query_string(mode: Mode, api: respx.MockRouter, refresh: Any) -> None:
    route = api.get("/ccm/upperQuery").mock(
        return_value=reply(body={"code": 0, "urlUpper": 10000, "urlRemain": 9990})
    )
    left = mode.run(refresh.query_purge_residuals, type="fetch")
    request = route.calls.last.request
    assert request.url.raw_path == b"/ccm/upperQuery?type=fetch"
    assert request.content == b""
    assert_signed(request)
    assert (left.url_upper, left.url_remain) == (10000, 9990)


@pytest.mark.parametrize(
    ("method", "kwargs", "field", "words"),
    [
        ("purge", {"urls": [URL], "url_action": "nuke"}, "url_action", "default, delete, expire"),
        ("purge", {"urls": [URL], "dir_action": "DELETE"}, "dir_action", "Invalid enum value"),
        ("purge", {"urls": [URL, 7]}, "urls", "Expected `str`, got `int`"),
        ("purge", {"dirs": DIR}, "dirs", "got `str`"),
        ("purge_file_with_tag", {"tag": ""}, "tag", "length >= 1"),
        ("purge_file_with_tag", {"tag": "t", "action": 1}, "action", ""),
        ("purge_urls_matching_regex", {}, "url_regulars", "required"),
        ("purge_urls_matching_regex", {"url_regulars": []}, "url_regulars", "length >= 1"),
        ("get_purge_status", {"status": "done"}, "status", "success, failure, wait, run"),
        ("get_purge_status", {"page_no": 0}, "page_no", ">= 1"),
        ("get_purge_status", {"page_size": "many"}, "page_size", "Expected `int"),
        ("query_purge_residuals", {}, "type", "required"),
        ("query_purge_residuals", {"type": "prefetch"}, "type", "purge, fetch"),
    ],
)
def test_bad_arguments_are_refused_before_sending(
    mode: Mode,
    api: respx.MockRouter,
    refresh: Any,
    method: str,
    kwargs: dict[str, Any],
    field: str,
    words: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        mode.run(getattr(refresh, method), **kwargs)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert not api.calls


def test_purge_is_never_retried_after_a_server_error(
    mode: Mode, api: respx.MockRouter, refresh: Any
) -> None:
    # The first attempt may have created a task (and used quota): a blind retry could purge twice.
    route = api.post("/ccm/purge/ItemIdReceiver").mock(
        return_value=reply(503, {"Code": "ServiceUnavailable", "Message": "busy"})
    )
    with pytest.raises(ServerError) as caught:
        mode.run(refresh.purge, urls=[URL])
    assert route.call_count == 1
    assert caught.value.status_code == 503
    assert caught.value.request_id == RID


def test_status_query_is_retried_after_a_server_error(
    mode: Mode, api: respx.MockRouter, refresh: Any
) -> None:
    route = api.post("/ccm/purge/ItemIdQuery").mock(
        side_effect=[
            reply(503, {"Code": "ServiceUnavailable", "Message": "busy"}),
            reply(body={"Code": 1, "resultDetail": [{"url": URL, "status": "success"}]}),
        ]
    )
    status = mode.run(refresh.get_purge_status, item_id="item-42")
    assert route.call_count == 2
    assert [d.status for d in status.result_detail] == ["success"]
    # Each attempt is signed afresh over the same body.
    for call in route.calls:
        assert body(call.request) == {"itemId": "item-42"}
        assert_signed(call.request)


def detail(n: int) -> dict[str, Any]:
    return {"url": f"https://www.example.com/{n}.js", "status": "success", "isDir": 0}


def test_iter_purge_status_walks_the_page_numbers(
    mode: Mode, api: respx.MockRouter, refresh: Any
) -> None:
    everything = [detail(n) for n in range(5)]

    def answer(request: httpx.Request) -> httpx.Response:
        sent = body(request)
        size, number = sent["pageSize"], sent["pageNo"]
        shown = everything[(number - 1) * size : number * size]
        return reply(body={"Code": 1, "pageNo": number, "pageSize": size, "resultDetail": shown})

    route = api.post("/ccm/purge/ItemIdQuery").mock(side_effect=answer)

    walked = drain(mode, refresh.iter_purge_status(item_id="item-42", page_size=2))

    assert [d.url for d in walked] == [d["url"] for d in everything]
    assert all(isinstance(d, PurgeTaskDetail) for d in walked)
    # A short page is the last one: 2 + 2 + 1 items in three requests, the filter on each.
    assert [body(c.request) for c in route.calls] == [
        {"itemId": "item-42", "pageNo": n, "pageSize": 2} for n in (1, 2, 3)
    ]
    for call in route.calls:
        assert_signed(call.request)


def test_iter_purge_status_stops_at_the_limit_and_checks_filters_first(
    mode: Mode, api: respx.MockRouter, refresh: Any
) -> None:
    route = api.post("/ccm/purge/ItemIdQuery").mock(
        return_value=reply(body={"Code": 1, "resultDetail": [detail(n) for n in range(20)]})
    )
    assert len(drain(mode, refresh.iter_purge_status(limit=3))) == 3
    assert route.call_count == 1
    with pytest.raises(ValidationError) as caught:
        drain(mode, refresh.iter_purge_status(status="finished"))
    assert caught.value.field == "status"
    with pytest.raises(ValidationError) as caught:
        drain(mode, refresh.iter_purge_status(page_size=0))
    assert caught.value.field == "page_size"
    assert route.call_count == 1


def test_iter_purge_status_fails_on_a_page_in_the_envelope(
    mode: Mode, api: respx.MockRouter, refresh: Any
) -> None:
    api.post("/ccm/purge/ItemIdQuery").mock(
        return_value=reply(body={"Code": 0, "Message": "startTime is more than 3 days back"})
    )
    with pytest.raises(BusinessError, match="3 days back"):
        drain(mode, refresh.iter_purge_status(start_time="2020-01-01 00:00:00"))


def test_iter_purge_status_stops_when_count_tasks_were_seen(
    mode: Mode, api: respx.MockRouter, refresh: Any
) -> None:
    # count is every matching task: after a full page holding the last of them, no empty page
    # is asked for.
    route = api.post("/ccm/purge/ItemIdQuery").mock(
        side_effect=lambda request: reply(
            body={
                "Code": 1,
                "count": 4,
                "resultDetail": [detail(n + 2 * (body(request)["pageNo"] - 1)) for n in range(2)],
            }
        )
    )
    walked = drain(mode, refresh.iter_purge_status(page_size=2))
    assert [d.url for d in walked] == [detail(n)["url"] for n in range(4)]
    assert route.call_count == 2
