"""Hooks follow pluggy's semantics (order, tryfirst/trylast, wrappers), observers stay isolated,
late registrations are seen, and a cancelled call still finishes its hooks."""

from __future__ import annotations

import signal
import time
from collections.abc import Generator
from typing import Any

import anyio
import httpx
import pytest

from cdnetworks.core import (
    PluginError,
    RequestDraft,
    RetryPolicy,
    RetryQuota,
    hookimpl,
)
from tests.conftest import Mode
from tests.faults.cases import OK_BODY
from tests.faults.server import Respond, Stall, fault_server

from .test_hooks import DemoClient, DemoProduct


class Ordered:
    """Records the order in which its prepare hooks run, and what a wrapper saw around them."""

    def __init__(self, order: list[str], name: str, **opts: Any) -> None:
        self.name = name
        self._order = order

        def cdnetworks_prepare_request(request: RequestDraft) -> None:
            order.append(name)
            request.headers[f"X-{name}"] = "1"

        self.cdnetworks_prepare_request = hookimpl(cdnetworks_prepare_request, **opts)


class NewStyleWrapper:
    name = "wrapper.new"

    def __init__(self) -> None:
        self.seen_inside: list[str] = []

    @hookimpl(wrapper=True)
    def cdnetworks_prepare_request(self, request: RequestDraft) -> Generator[None, None, None]:
        request.headers["X-Wrapped-Before"] = "1"
        result = yield
        # After every ordinary implementation ran: it sees (and may amend) what they left.
        self.seen_inside = sorted(k for k in request.headers if k.startswith("X-") and "-" in k)
        request.headers["X-Wrapped-After"] = "1"
        return result


class OldStyleWrapper:
    name = "wrapper.old"

    def __init__(self) -> None:
        self.outcomes: list[object] = []

    @hookimpl(hookwrapper=True)
    def cdnetworks_after_response(
        self, response: httpx.Response | None
    ) -> Generator[None, Any, None]:
        outcome = yield
        self.outcomes.append((response.status_code if response else None, outcome.exception))


def test_tryfirst_trylast_and_wrappers_work_as_in_pluggy(mode: Mode) -> None:
    order: list[str] = []
    new, old = NewStyleWrapper(), OldStyleWrapper()
    plugins = [
        Ordered(order, "Last", trylast=True),
        Ordered(order, "First", tryfirst=True),
        Ordered(order, "Plain"),
        new,
        old,
    ]
    with fault_server(Respond(200, OK_BODY)) as server:
        client = mode.client(endpoint=server.endpoint, plugins=plugins)
        mode.run(client.invoke, "GET", "/vmp/images")
    assert order == ["First", "Plain", "Last"]
    headers = server.seen[0].headers
    assert {"x-wrapped-before", "x-wrapped-after", "x-first", "x-last"} <= set(headers)
    assert "X-First" in new.seen_inside and "X-Last" in new.seen_inside
    assert old.outcomes == [(200, None)]


class Boom:
    name = "boom"

    @hookimpl(tryfirst=True)
    def cdnetworks_after_response(self) -> None:
        raise RuntimeError("observer bug")

    @hookimpl(tryfirst=True)
    def cdnetworks_call_finished(self) -> None:
        raise RuntimeError("observer bug")


class BoomWrapper:
    name = "boom.wrapper"

    @hookimpl(wrapper=True)
    def cdnetworks_call_finished(self) -> Generator[None, None, None]:
        yield
        raise RuntimeError("wrapper bug")


class Counter:
    name = "counter"

    def __init__(self) -> None:
        self.finished: list[str] = []

    @hookimpl
    def cdnetworks_call_finished(self, outcome: str) -> None:
        self.finished.append(outcome)


def test_a_failing_observer_or_wrapper_is_logged_and_the_others_still_run(
    mode: Mode, log_lines: list[str]
) -> None:
    counter = Counter()
    with fault_server(Respond(200, OK_BODY)) as server:
        client = mode.client(endpoint=server.endpoint, plugins=[counter, Boom(), BoomWrapper()])
        result = mode.run(client.invoke, "GET", "/vmp/images")
    assert result.status_code == 200
    assert counter.finished == ["success"]  # ran although "boom" (tryfirst) raised before it
    assert any("'boom' raised in cdnetworks_after_response" in line for line in log_lines)
    assert any("'boom.wrapper' raised in cdnetworks_call_finished" in line for line in log_lines)


class FailingWrapper:
    name = "failing.wrapper"

    @hookimpl(wrapper=True)
    def cdnetworks_prepare_request(self) -> Generator[None, None, None]:
        yield
        raise ValueError("no")


def test_a_failing_prepare_wrapper_is_named_and_nothing_is_sent(mode: Mode) -> None:
    with fault_server(Respond(200, OK_BODY)) as server:
        client = mode.client(endpoint=server.endpoint, plugins=[FailingWrapper()])
        with pytest.raises(PluginError, match=r"'failing\.wrapper' raised") as caught:
            mode.run(client.invoke, "GET", "/vmp/images")
    assert caught.value.plugin == "failing.wrapper"
    assert server.count() == 0


def test_plugins_registered_after_the_client_was_built_take_part(mode: Mode) -> None:
    counter = Counter()
    with fault_server(Respond(200, OK_BODY)) as server:
        client = mode.client(endpoint=server.endpoint)
        assert "demo" not in client.products
        client.plugin_manager.register(DemoProduct(), name="demo.product")
        client.plugin_manager.register(counter)
        client.plugin_manager.register(Boom())  # guarded like one given at construction
        mode.run(client.invoke, "GET", "/vmp/images")
        assert "demo" in client.products
        if not mode.is_async:
            assert isinstance(client.product("demo"), DemoClient)
        client.plugin_manager.unregister(name="demo.product")
        assert "demo" not in client.products
    assert counter.finished == ["success"]


class Interrupted(BaseException):
    """Stands for Ctrl-C in a sync call (raised by a timer signal while the call waits)."""


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted


def test_a_cancelled_call_finishes_its_hooks_and_returns_its_retry_tokens(mode: Mode) -> None:
    counter = Counter()
    quota = RetryQuota(capacity=100)
    with fault_server(Respond(503), Stall(10.0)) as server:
        client = mode.client(
            endpoint=server.endpoint,
            plugins=[counter],
            retry=RetryPolicy(base_delay=0.0, max_delay=0.0, quota=quota),
        )
        started = time.monotonic()
        if mode.is_async:

            async def cancelled() -> None:
                with anyio.move_on_after(0.5):
                    await client.invoke("GET", "/vmp/images")

            mode.run(cancelled)
        else:
            previous = signal.signal(signal.SIGALRM, _interrupt)
            try:
                signal.setitimer(signal.ITIMER_REAL, 0.5)
                with pytest.raises(Interrupted):
                    client.invoke("GET", "/vmp/images")
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        assert time.monotonic() - started < 5
        assert server.count() == 2  # the 503, then the retry that was stalled and cancelled
    assert counter.finished == ["cancelled"]
    assert quota.available == quota.capacity
    assert client.metrics.snapshot()["GET /vmp/images"]["errors"] == {"cancelled": 1}
