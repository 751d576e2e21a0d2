"""``with_options``: a view changing one call's timeout, attempts, headers or rate limiter.

Driven through product clients and the core clients, sync and async, against the emulator
(which checks every signature, so an added header is signed like the rest).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cdnetworks.core import (
    AsyncClient,
    Client,
    ClientUsageError,
    ConfigurationError,
    RateLimiter,
    ServerError,
    Timeout,
    ValidationError,
)
from cdnetworks.core.emulator import Emulator
from cdnetworks.core.emulator.transports import AsyncEmulatorTransport, EmulatorTransport
from cdnetworks.fileprefetch import AsyncFilePrefetchClient, FilePrefetchClient
from cdnetworks.fileprefetch.emulator import FilePrefetchService
from tests.conftest import Mode, frozen_emulator

URLS = ["https://www.example.com/a.js"]


class Seen:
    """What reached the emulator: each request's headers and per-attempt timeouts."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def transports(self, emu: Emulator) -> tuple[httpx.BaseTransport, httpx.AsyncBaseTransport]:
        seen = self

        class Sync(EmulatorTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                seen.requests.append(request)
                return super().handle_request(request)

        class Async(AsyncEmulatorTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                seen.requests.append(request)
                return await super().handle_async_request(request)

        return Sync(emu), Async(emu)


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def prefetch(mode: Mode, seen: Seen) -> Any:
    emu = frozen_emulator(FilePrefetchService(task_seconds=0.3))
    sync, asynchronous = seen.transports(emu)
    core = mode.client(
        **emu.client_kwargs(),
        transport=asynchronous if mode.is_async else sync,
        timeout=10.0,
        headers={"X-Team": "cdn"},
    )
    return (AsyncFilePrefetchClient if mode.is_async else FilePrefetchClient)(client=core)


def test_a_view_changes_only_its_own_calls(mode: Mode, prefetch: Any, seen: Seen) -> None:
    view = prefetch.with_options(timeout=2.5, extra_headers={"X-Trace": "t-1", "x-team": "edge"})
    assert type(view) is type(prefetch)
    mode.run(view.prefetch, urls=URLS)
    mode.run(prefetch.prefetch, urls=URLS)
    mode.run(view.get_prefetch_status)
    first, second, third = seen.requests
    # The emulator accepted all three: the added headers were signed with the rest.
    assert first.headers["X-Trace"] == "t-1" and third.headers["X-Trace"] == "t-1"
    assert first.headers.get_list("X-Team") == ["edge"]  # replaced, case ignored, not doubled
    assert "X-Trace" not in second.headers and second.headers["X-Team"] == "cdn"
    assert first.extensions["timeout"]["read"] == 2.5
    assert second.extensions["timeout"]["read"] == 10.0
    # The view's settings are visible; the client's are unchanged.
    assert view.core.timeout == Timeout(connect=2.5, read=2.5, write=2.5, pool=2.5)
    assert prefetch.core.timeout.read == 10.0


def test_a_view_shares_connections_plugins_and_metrics(mode: Mode, prefetch: Any) -> None:
    view = prefetch.with_options(max_attempts=1)
    assert view.core.plugin_manager is prefetch.core.plugin_manager
    assert view.core.metrics is prefetch.core.metrics
    mode.run(view.prefetch, urls=URLS)
    # Closing the view closes nothing shared; closing the client ends the view too.
    mode.run(view.aclose if mode.is_async else view.close)
    mode.run(prefetch.prefetch, urls=URLS)
    mode.run(prefetch.core.aclose if mode.is_async else prefetch.core.close)
    with pytest.raises(ClientUsageError, match="closed"):
        mode.run(prefetch.with_options(timeout=1).prefetch, urls=URLS)


def test_views_compose(mode: Mode, prefetch: Any, seen: Seen) -> None:
    view = prefetch.with_options(timeout=3).with_options(extra_headers={"X-A": "1"})
    view = view.with_options(extra_headers={"X-B": "2"})
    mode.run(view.prefetch, urls=URLS)
    (request,) = seen.requests
    assert request.headers["X-A"] == "1" and request.headers["X-B"] == "2"
    assert request.extensions["timeout"]["read"] == 3


def _failing(mode: Mode, answered: list[int]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        answered.append(1)
        return httpx.Response(503, json={"code": "ServiceUnavailable", "message": "busy"})

    return mode.client(transport=httpx.MockTransport(handler), max_attempts=3)


def test_max_attempts_of_a_view(mode: Mode) -> None:
    answered: list[int] = []
    client = _failing(mode, answered)
    with pytest.raises(ServerError) as caught:
        mode.run(client.with_options(max_attempts=1).invoke, "GET", "/vmp/images")
    assert caught.value.attempts == 1 and len(answered) == 1
    with pytest.raises(ServerError) as caught:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert caught.value.attempts == 3 and len(answered) == 4


def test_a_rate_limiter_of_a_view(mode: Mode, prefetch: Any) -> None:
    limiter = RateLimiter(100, 1.0)
    mode.run(prefetch.with_options(rate_limiter=limiter).prefetch, urls=URLS)
    mode.run(prefetch.prefetch, urls=URLS)
    # One slot was booked: the view's call's, not the client's.
    assert limiter.burst - 1 == _free(limiter)


def _free(limiter: RateLimiter) -> int:
    # Book until a wait is asked for: how many slots were left.
    free = 0
    while limiter.reserve() == 0:
        free += 1
    return free


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"timeout": "60"}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"extra_headers": {"X-Bad": "a\r\nb"}}, "X-Bad"),
        ({"extra_headers": [("X-A", "1")]}, "extra_headers"),
        ({"rate_limiter": 5}, "rate_limiter"),
    ],
)
@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_bad_options_are_refused_when_the_view_is_made(
    cls: type, options: dict[str, Any], says: str
) -> None:
    client = cls(access_key="AK", secret_key="sk", load_entry_points=False)
    with pytest.raises((ConfigurationError, ValidationError), match=says):
        client.with_options(**options)
