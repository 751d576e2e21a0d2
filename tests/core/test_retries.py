"""Retry rules, Retry-After, the quota and the total timeout, on both clients."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
import pytest
import respx

from cdnetworks.core import (
    ConnectError,
    ProtocolError,
    RetryPolicy,
    RetryQuota,
    ServerError,
    ThrottledError,
    Timeout,
    TransportTimeoutError,
    hookimpl,
)
from cdnetworks.core.retry import parse_retry_after
from tests.conftest import Mode

URL = "https://api.cdnetworks.com/vmp/images"


class Retries:
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    @hookimpl
    def cdnetworks_on_retry(self, action: str, attempt: int, delay: float, reason: str) -> None:
        self.seen.append({"action": action, "attempt": attempt, "delay": delay, "reason": reason})


def fast(**kw: Any) -> RetryPolicy:
    return RetryPolicy(base_delay=0.0, max_delay=0.0, quota=RetryQuota(), **kw)


def test_get_503_then_200_is_retried(mode: Mode, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"a": 1})]
    )
    retries = Retries()
    client = mode.client(plugins=[retries])
    assert mode.run(client.invoke, "GET", "/vmp/images").data == {"a": 1}
    assert route.call_count == 3
    assert [r["reason"] for r in retries.seen] == ["HTTP 503", "HTTP 502"]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_post_is_never_retried_after_it_may_have_arrived(
    mode: Mode, respx_mock: respx.MockRouter, status: int
) -> None:
    route = respx_mock.post(URL).mock(
        return_value=httpx.Response(status, json={"code": "E", "message": "m"})
    )
    client = mode.client()
    with pytest.raises((ServerError, ThrottledError)) as info:
        mode.run(client.invoke, "POST", "/vmp/images", json={"name": "x"})
    assert route.call_count == 1
    assert info.value.attempts == 1
    assert "POST is not idempotent" not in str(info.value)  # non-retriable errors say nothing extra


def test_post_retry_is_opt_in(mode: Mode, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"id": "i"})]
    )
    client = mode.client(retry=fast(retry_non_idempotent=True))
    assert mode.run(client.invoke, "POST", "/vmp/images", json={}).data == {"id": "i"}
    assert route.call_count == 2
    route2 = respx_mock.post(URL + "/x").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={})]
    )
    client2 = mode.client()
    mode.run(client2.invoke, "POST", "/vmp/images/x", json={}, idempotent=True)
    assert route2.call_count == 2


def test_connection_failures_before_sending_are_retried_for_any_method(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(URL).mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.ConnectTimeout("slow"),
            httpx.Response(200, json={}),
        ]
    )
    client = mode.client()
    mode.run(client.invoke, "POST", "/vmp/images", json={})
    assert route.call_count == 3


def test_read_timeout_retried_for_get_not_for_post(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    get = respx_mock.get(URL).mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={})]
    )
    post = respx_mock.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    client = mode.client()
    mode.run(client.invoke, "GET", "/vmp/images")
    assert get.call_count == 2
    with pytest.raises(TransportTimeoutError) as info:
        mode.run(client.invoke, "POST", "/vmp/images", json={"name": "x"})
    assert post.call_count == 1
    assert info.value.request_sent is True
    assert info.value.attempts == 1


def test_reset_mid_response_is_a_protocol_error(mode: Mode, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).mock(side_effect=httpx.RemoteProtocolError("peer closed"))
    client = mode.client()
    with pytest.raises(ProtocolError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert info.value.attempts == 3


def test_final_error_tells_every_attempt(mode: Mode, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(502, text="<html>bad gateway</html>"),
            httpx.Response(
                503,
                json={"code": "Busy", "message": "try later"},
                headers={"x-cnc-request-id": "r3"},
            ),
        ]
    )
    client = mode.client()
    with pytest.raises(ServerError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    err = info.value
    assert (
        err.status_code,
        err.code,
        err.message.split(" (")[0],
        err.request_id,
        err.attempts,
    ) == (
        503,
        "Busy",
        "try later",
        "r3",
        3,
    )
    assert [h.attempt for h in err.history] == [1, 2, 3]
    assert "ConnectError" in err.history[0].reason
    assert err.history[1].reason == "HTTP 502"
    text = str(err)
    assert "gave up after attempt 3: max_attempts is 3" in text
    assert "attempt 1: ConnectError: refused" in text
    assert err.action == "GET /vmp/images"


def test_max_attempts_argument(mode: Mode, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(URL).mock(return_value=httpx.Response(500))
    client = mode.client(max_attempts=5)
    with pytest.raises(ServerError):
        mode.run(client.invoke, "GET", "/vmp/images")
    assert route.call_count == 5
    assert client.retry.base_delay == 0.0  # max_attempts kept the rest of the given policy


def test_retry_after_seconds_is_honoured(mode: Mode, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0.05"}),
            httpx.Response(200, json={}),
        ]
    )
    retries = Retries()
    client = mode.client(plugins=[retries])
    started = time.monotonic()
    mode.run(client.invoke, "GET", "/vmp/images")
    assert time.monotonic() - started >= 0.05
    assert retries.seen[0]["delay"] == pytest.approx(0.05)


def test_retry_after_over_the_cap_stops_retrying(mode: Mode, respx_mock: respx.MockRouter) -> None:
    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    route = respx_mock.get(URL).mock(
        return_value=httpx.Response(429, headers={"Retry-After": later})
    )
    client = mode.client(retry=fast(max_retry_after=60))
    with pytest.raises(ThrottledError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert route.call_count == 1
    assert info.value.retry_after == pytest.approx(120, abs=3)
    assert "Retry-After asks for" in str(info.value)


def test_parse_retry_after() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    # A negative delay is not a delay: absent (the policy's backoff), never "no pause".
    assert parse_retry_after("-3") is None
    assert parse_retry_after(
        email.utils.formatdate(1000.0 + 30, usegmt=True), now=1000.0
    ) == pytest.approx(30)
    assert parse_retry_after(email.utils.formatdate(500.0, usegmt=True), now=1000.0) == 0.0
    for junk in (None, "", "soon", "nan", "inf", "-inf", "-0.5", "1e999"):
        assert parse_retry_after(junk) is None


def test_backoff_is_capped_exponential_with_jitter() -> None:
    policy = RetryPolicy()
    for n, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (10, 20.0)]:
        samples = [policy.backoff(n) for _ in range(200)]
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert max(samples) - min(samples) > 0  # jittered


def test_quota_exhaustion_fails_fast(mode: Mode, respx_mock: respx.MockRouter) -> None:
    quota = RetryQuota(capacity=10, retry_cost=5)
    route = respx_mock.get(URL).mock(return_value=httpx.Response(503))
    client = mode.client(retry=RetryPolicy(base_delay=0, max_delay=0, max_attempts=10, quota=quota))
    with pytest.raises(ServerError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert route.call_count == 3  # two retries paid for, the third refused
    assert "retry quota is exhausted" in str(info.value)
    assert quota.available == 0


def test_quota_refunds_on_success() -> None:
    quota = RetryQuota(capacity=20, retry_cost=5, timeout_cost=10)
    assert quota.acquire() == 5
    assert quota.acquire(after_timeout=True) == 10
    assert quota.available == 5
    quota.release(15)
    assert quota.available == 20
    quota.release(0)
    assert quota.available == 20  # never above capacity


def test_shared_quota_per_endpoint() -> None:
    assert RetryQuota.shared("https://a") is RetryQuota.shared("https://a")
    assert RetryQuota.shared("https://a") is not RetryQuota.shared("https://b")


def test_total_timeout_bounds_the_call(mode: Mode, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).mock(return_value=httpx.Response(503, headers={"Retry-After": "0.3"}))
    client = mode.client(timeout=Timeout(total=0.5))
    started = time.monotonic()
    with pytest.raises(ServerError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert time.monotonic() - started < 0.5
    assert "total timeout leaves no time" in str(info.value)


def test_each_attempt_gets_the_configured_timeouts(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    respx_mock.get(URL).mock(side_effect=answer)
    client = mode.client(timeout=Timeout(connect=1, read=2, write=3, pool=4, total=60))
    mode.run(client.invoke, "GET", "/vmp/images")
    assert seen[0]["connect"] == 1 and seen[0]["read"] == 2 and seen[0]["pool"] == 4
    client2 = mode.client(timeout=7.5)
    mode.run(client2.invoke, "GET", "/vmp/images")
    assert seen[1] == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}


def test_connect_error_is_typed_and_says_nothing_was_sent(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(URL).mock(side_effect=httpx.ConnectError("no route"))
    client = mode.client(max_attempts=2)
    with pytest.raises(ConnectError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert info.value.request_sent is False
    assert info.value.attempts == 2
