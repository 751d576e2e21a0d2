"""The opt-in client-side rate limiter spaces attempts to the configured rate."""

from __future__ import annotations

import time

import httpx
import pytest
import respx

from cdnetworks.core import ConfigurationError, RateLimiter
from tests.conftest import Mode


def test_bucket_allows_a_burst_then_spaces_requests() -> None:
    limiter = RateLimiter(10, 1.0, burst=3)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(0.1, abs=0.02)
    assert waits[4] == pytest.approx(0.2, abs=0.02)


def test_cdnetworks_default_is_300_per_5_minutes() -> None:
    limiter = RateLimiter.cdnetworks_default()
    assert (limiter.requests, limiter.per_seconds, limiter.burst) == (300, 305.0, 300)
    assert "300 per 305 s" in repr(limiter)


@pytest.mark.parametrize(("requests", "per", "burst"), [(0, 1, None), (1, 0, None), (1, 1, 0)])
def test_bad_limits(requests: int, per: float, burst: int | None) -> None:
    with pytest.raises(ConfigurationError):
        RateLimiter(requests, per, burst=burst)


def test_client_waits_for_its_slot(mode: Mode, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get("https://api.cdnetworks.com/x").mock(
        return_value=httpx.Response(200, json={})
    )
    client = mode.client(rate_limiter=RateLimiter(20, 1.0, burst=1))
    started = time.monotonic()
    for _ in range(4):
        mode.run(client.invoke, "GET", "/x")
    assert time.monotonic() - started >= 0.14  # three waits of 50 ms after the first call
    assert route.call_count == 4


def test_a_send_that_leaves_late_is_counted_from_when_it_left() -> None:
    """The server counts arrivals: a request that left 0.2 s after its slot (a busy loop, a slow
    connect) must hold its place in the window until 0.2 s later than booked."""
    limiter = RateLimiter(1, 1.0)
    booking = limiter.acquire()
    time.sleep(0.2)
    limiter.sent(booking)  # what the client's trace hook calls when the headers leave
    assert limiter.peek() == pytest.approx(1.0, abs=0.05)


def test_a_send_on_time_keeps_its_slot() -> None:
    limiter = RateLimiter(1, 1.0)
    booking = limiter.acquire()
    limiter.sent(booking)
    assert limiter.peek() == pytest.approx(1.0, abs=0.05)
    time.sleep(0.1)
    assert limiter.peek() == pytest.approx(0.9, abs=0.05)
