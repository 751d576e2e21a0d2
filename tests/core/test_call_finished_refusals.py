"""``call_finished`` fires exactly once for every call, also for calls refused before sending.

Each refusal path a caller can hit is driven here through the public API (sync and async where
both exist): the hook sees ``attempts=0``, ``outcome="error"`` and the very exception raised,
and nothing reaches the server.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdnetworks.certificationmanage import (
    AsyncCertificateManagementClient,
    CertificateManagementClient,
)
from cdnetworks.core import (
    AsyncClient,
    CdnetworksError,
    ClientUsageError,
    PluginError,
    RateLimiter,
    RequestDraft,
    TransportTimeoutError,
    ValidationError,
    hookimpl,
)
from cdnetworks.fileprefetch import AsyncFilePrefetchClient, FilePrefetchClient, PrefetchRequest
from tests.conftest import ACCESS_KEY, CANARY_SECRET, Mode


class Finished:
    """Counts ``call_finished`` per call id."""

    name = "test.finished"

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    @hookimpl
    def cdnetworks_call_finished(
        self,
        action: str,
        call_id: str,
        attempts: int,
        duration: float,
        status_code: int | None,
        request_id: str | None,
        outcome: str,
        error: CdnetworksError | None,
    ) -> None:
        self.calls.append(
            {
                "action": action,
                "call_id": call_id,
                "attempts": attempts,
                "duration": duration,
                "status_code": status_code,
                "request_id": request_id,
                "outcome": outcome,
                "error": error,
            }
        )


class Sent:
    """A transport (sync and async) that answers 200 and counts what reached it."""

    def __init__(self) -> None:
        self.count = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return httpx.Response(200, json={"code": 0, "message": "ok"})

    def transport(self, is_async: bool) -> Any:
        return httpx.MockTransport(self.handler)


def _client(mode: Mode, finished: Finished, sent: Sent, **kwargs: Any) -> Any:
    return mode.client(plugins=[finished], transport=sent.transport(mode.is_async), **kwargs)


def _refused_once(
    finished: Finished, sent: Sent, caught: pytest.ExceptionInfo[CdnetworksError], action: str
) -> None:
    assert sent.count == 0
    assert len(finished.calls) == 1, finished.calls
    (call,) = finished.calls
    assert call["attempts"] == 0
    assert call["outcome"] == "error"
    assert call["error"] is caught.value
    assert call["action"] == action == caught.value.action
    assert call["status_code"] is None and call["request_id"] is None
    assert call["duration"] >= 0


PRODUCT_REFUSALS: list[tuple[str, Callable[[Any], Any], str]] = [
    ("missing required argument", lambda c: c.prefetch(), "urls"),
    ("wrong enum value", lambda c: c.prefetch(urls=["https://e.com/a"], is_range=2), "is_range"),
    ("wrong type", lambda c: c.prefetch(urls="https://e.com/a"), "urls"),
    (
        "a model and keywords",
        lambda c: c.prefetch(PrefetchRequest(urls=["https://e.com/a"]), is_range=1),
        "either",
    ),
    ("a model of another action", lambda c: c.prefetch(object()), "PrefetchRequest"),
]


@pytest.mark.parametrize(
    ("why", "call", "says"), PRODUCT_REFUSALS, ids=[p[0] for p in PRODUCT_REFUSALS]
)
def test_a_product_call_refused_by_validation_finishes_once(
    mode: Mode, why: str, call: Callable[[Any], Any], says: str
) -> None:
    finished, sent = Finished(), Sent()
    core = _client(mode, finished, sent)
    client = (AsyncFilePrefetchClient if mode.is_async else FilePrefetchClient)(client=core)
    with pytest.raises(ValidationError, match=says) as caught:
        mode.run(lambda: call(client))
    _refused_once(finished, sent, caught, "Prefetch")


def test_a_header_value_that_cannot_be_sent_finishes_once(mode: Mode) -> None:
    finished, sent = Finished(), Sent()
    core = _client(mode, finished, sent)
    kind = AsyncCertificateManagementClient if mode.is_async else CertificateManagementClient
    client = kind(client=core)
    with pytest.raises(ValidationError, match="header") as caught:
        mode.run(client.get_certificate_content, date="Thu\r\nX-Evil: 1", certificate_id=1)
    _refused_once(finished, sent, caught, "GetCertificateContent")


INVOKE_REFUSALS = [
    ("not a method", ("G E T", "/vmp/images"), {}),
    ("query in the uri", ("GET", "/vmp/images?a=1"), {}),
    ("relative uri", ("GET", "vmp/images"), {}),
    ("unencoded uri", ("GET", "/vmp/a b"), {}),
    ("body on GET", ("GET", "/vmp/images"), {"json": {"a": 1}}),
    ("idempotent not a bool", ("POST", "/vmp/images"), {"idempotent": "yes"}),
]


@pytest.mark.parametrize(
    ("why", "args", "kwargs"), INVOKE_REFUSALS, ids=[p[0] for p in INVOKE_REFUSALS]
)
def test_an_invoke_refused_before_sending_finishes_once(
    mode: Mode, why: str, args: tuple[str, str], kwargs: dict[str, Any]
) -> None:
    finished, sent = Finished(), Sent()
    client = _client(mode, finished, sent)
    with pytest.raises(ValidationError) as caught:
        mode.run(client.invoke, *args, **kwargs)
    _refused_once(finished, sent, caught, caught.value.action or "")
    assert args[1].split("?")[0] in finished.calls[0]["action"]


def test_a_call_on_a_closed_client_finishes_once(mode: Mode) -> None:
    finished, sent = Finished(), Sent()
    core = _client(mode, finished, sent)
    client = (AsyncFilePrefetchClient if mode.is_async else FilePrefetchClient)(client=core)
    mode.run(core.aclose if mode.is_async else core.close)
    with pytest.raises(ClientUsageError, match="closed") as caught:
        mode.run(client.prefetch, urls=["https://e.com/a"])
    _refused_once(finished, sent, caught, "Prefetch")


def test_a_call_on_a_closed_view_finishes_once(mode: Mode) -> None:
    finished, sent = Finished(), Sent()
    core = _client(mode, finished, sent)
    view = core.with_options(timeout=5)
    mode.run(view.aclose if mode.is_async else view.close)
    with pytest.raises(ClientUsageError, match="closed") as caught:
        mode.run(view.invoke, "GET", "/vmp/images")
    _refused_once(finished, sent, caught, "GET /vmp/images")
    # Closing the view closed nothing shared: the client still calls.
    mode.run(core.invoke, "GET", "/vmp/images")
    assert sent.count == 1 and len(finished.calls) == 2


def test_a_forked_child_refused_a_lent_transport_finishes_once(
    mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished, sent = Finished(), Sent()
    client = _client(mode, finished, sent)
    parent = os.getpid()
    # What a forked child sees (a real fork of a threaded test process is unsafe).
    monkeypatch.setattr(os, "getpid", lambda: parent + 1)
    with pytest.raises(ClientUsageError, match="forked") as caught:
        mode.run(client.invoke, "GET", "/vmp/images")
    _refused_once(finished, sent, caught, "GET /vmp/images")


def test_an_async_client_in_a_second_event_loop_finishes_once() -> None:
    finished, sent = Finished(), Sent()
    client = AsyncClient(
        access_key=ACCESS_KEY,
        secret_key=CANARY_SECRET,
        load_entry_points=False,
        plugins=[finished],
        transport=sent.transport(True),
    )

    async def call() -> Any:
        return await client.invoke("GET", "/vmp/images")

    asyncio.run(call())
    with pytest.raises(ClientUsageError, match="another event loop") as caught:
        asyncio.run(call())
    assert sent.count == 1
    assert [c["attempts"] for c in finished.calls] == [1, 0]
    assert finished.calls[1]["error"] is caught.value


class Refuser:
    name = "test.refuser"

    @hookimpl
    def cdnetworks_prepare_request(self, request: RequestDraft) -> None:
        raise RuntimeError("no")


def test_a_request_a_plugin_refuses_finishes_once(mode: Mode) -> None:
    finished, sent = Finished(), Sent()
    client = mode.client(plugins=[finished, Refuser()], transport=sent.transport(mode.is_async))
    with pytest.raises(PluginError) as caught:
        mode.run(client.invoke, "GET", "/vmp/images")
    _refused_once(finished, sent, caught, "GET /vmp/images")


def test_a_total_timeout_spent_waiting_for_the_rate_limiter_finishes_once(mode: Mode) -> None:
    finished, sent = Finished(), Sent()
    limiter = RateLimiter(1, 0.3)
    limiter.reserve()  # the only slot of the next 0.3 s is taken
    client = _client(mode, finished, sent, timeout=_total(0.05))
    with pytest.raises(TransportTimeoutError, match="before attempt 1") as caught:
        mode.run(client.with_options(rate_limiter=limiter).invoke, "GET", "/vmp/images")
    _refused_once(finished, sent, caught, "GET /vmp/images")


def _total(seconds: float) -> Any:
    from cdnetworks.core import Timeout

    return Timeout(total=seconds)
