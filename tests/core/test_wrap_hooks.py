"""``cdnetworks_wrap_call`` and ``cdnetworks_wrap_operation``: pluggy ``wrapper=True`` around a
whole call or operation, sync and async from the one pipeline, what is current inside them,
their failures, and the operations the SDK's own waiters and walks open."""

from __future__ import annotations

import contextvars
from collections.abc import Generator, Mapping
from typing import Any

import anyio
import httpx
import pytest

from cdnetworks.core import (
    CallInfo,
    ConfigurationError,
    NotFoundError,
    Operation,
    PluginError,
    RequestDraft,
    ValidationError,
    current_operation,
    hookimpl,
)
from cdnetworks.core.plugins import pluggy_seam
from tests.conftest import Mode

ENDPOINT = "https://api.example.com:8443/base"
#: What a tracing plugin would make current: set before the yield, reset after it.
CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("current", default=None)


class Wrapper:
    """Makes a value current around each call and records what every hook saw."""

    def __init__(self, name: str = "wrapper", log: list[str] | None = None) -> None:
        self.name = name
        self.log = log if log is not None else []
        self.calls: list[CallInfo] = []
        self.seen_in_prepare: list[tuple[int, str | None, str | None]] = []
        self.seen_in_retry: list[str | None] = []
        self.thrown: list[BaseException] = []

    @hookimpl(wrapper=True)
    def cdnetworks_wrap_call(self, call: CallInfo) -> Generator[None, Any, Any]:
        self.log.append(f"{self.name} before")
        token = CURRENT.set(f"{self.name}:{call.call_id}")
        try:
            result = yield
        except BaseException as exc:
            self.thrown.append(exc)
            raise
        finally:
            CURRENT.reset(token)
            self.calls.append(call)
            self.log.append(f"{self.name} after")
        return result

    @hookimpl
    def cdnetworks_prepare_request(self, attempt: int, call_id: str) -> None:
        self.seen_in_prepare.append((attempt, call_id, CURRENT.get()))

    @hookimpl
    def cdnetworks_on_retry(self) -> None:
        self.seen_in_retry.append(CURRENT.get())

    @hookimpl
    def cdnetworks_call_finished(self) -> None:
        self.log.append(f"{self.name} call_finished")


@pytest.fixture
def make_images(mode: Mode) -> Any:
    from cdnetworks.imagemanage import AsyncImageManageClient, ImageManageClient

    def make(**core_settings: Any) -> Any:
        cls = AsyncImageManageClient if mode.is_async else ImageManageClient
        return cls(client=mode.client(**core_settings))

    return make


def flaky(statuses: list[int]) -> httpx.MockTransport:
    """Answers with ``statuses`` in turn, then 200."""
    answers = iter(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers, 200)
        body = {"ok": True} if status == 200 else {"code": "Oops", "message": "no"}
        return httpx.Response(status, json=body, headers={"x-cnc-request-id": f"r-{status}"})

    return httpx.MockTransport(handler)


def test_the_wrapper_runs_around_every_attempt_and_its_context_stays_current(
    mode: Mode,
) -> None:
    wrapper = Wrapper()
    client = mode.client(endpoint=ENDPOINT, transport=flaky([503, 502]), plugins=[wrapper])

    result = mode.run(client.invoke, "GET", "/vmp/images", params={"secretish": "value"})

    assert result.data == {"ok": True}
    (call,) = wrapper.calls
    current = f"wrapper:{call.call_id}"
    assert wrapper.seen_in_prepare == [(n, call.call_id, current) for n in (1, 2, 3)]
    assert wrapper.seen_in_retry == [current, current]
    assert CURRENT.get() is None  # reset by the wrapper's code after its yield
    assert (call.action, call.product, call.method) == ("GET /vmp/images", "", "GET")
    assert call.url == "https://api.example.com:8443/base/vmp/images"  # no query values
    assert (call.server_address, call.server_port) == ("api.example.com", 8443)
    assert (call.attempts, call.status_code, call.request_id) == (3, 200, "r-200")
    assert (call.outcome, call.error, call.operation) == ("success", None, None)
    assert call.duration is not None and call.duration > 0
    # Outermost of all: the wrapper resumes after call_finished.
    assert wrapper.log == ["wrapper before", "wrapper call_finished", "wrapper after"]


def test_the_wrapper_sees_the_error_and_pluggy_order_holds(mode: Mode) -> None:
    log: list[str] = []
    first, second = Wrapper("first", log), Wrapper("second", log)
    client = mode.client(endpoint=ENDPOINT, transport=flaky([404]), plugins=[first, second])

    with pytest.raises(NotFoundError) as caught:
        mode.run(client.invoke, "GET", "/vmp/images")

    # Registered last, called first: the outermost (as pluggy runs wrappers).
    assert log == [
        "second before",
        "first before",
        "second call_finished",
        "first call_finished",
        "first after",
        "second after",
    ]
    for wrapper in (first, second):
        (call,) = wrapper.calls
        assert wrapper.thrown == [caught.value]
        assert (call.outcome, call.error, call.status_code) == ("error", caught.value, 404)
        assert call.attempts == 1


def test_a_typed_call_names_its_product(mode: Mode, make_images: Any) -> None:
    wrapper = Wrapper()
    images = make_images(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"images": []})),
        plugins=[wrapper],
    )
    mode.run(images.vmp_query_image)
    (call,) = wrapper.calls
    assert (call.product, call.action) == ("imagemanage", "VMPQueryImage")


class Replacing:
    name = "replacing"

    @hookimpl(wrapper=True)
    def cdnetworks_wrap_call(self) -> Generator[None, Any, Any]:
        try:
            yield
        except NotFoundError:
            return "fallback"
        return "replaced"


def test_what_the_wrapper_returns_is_the_result(mode: Mode) -> None:
    ok = mode.client(transport=flaky([]), plugins=[Replacing()])
    assert mode.run(ok.invoke, "GET", "/a") == "replaced"
    missing = mode.client(transport=flaky([404]), plugins=[Replacing()])
    assert mode.run(missing.invoke, "GET", "/a") == "fallback"


class Broken:
    name = "broken"

    def __init__(self, where: str) -> None:
        self.where = where

    @hookimpl(wrapper=True)
    def cdnetworks_wrap_call(self) -> Generator[None, Any, Any]:
        if self.where == "before":
            raise RuntimeError("boom before")
        if self.where == "no-yield":
            return None
        result = yield
        if self.where == "twice":
            yield
        if self.where == "after":
            raise RuntimeError("boom after")
        return result


@pytest.mark.parametrize(
    ("where", "message", "sent"),
    [
        ("before", "raised RuntimeError: boom before", 0),
        ("no-yield", "returned without yielding", 0),
        ("after", "raised RuntimeError: boom after", 1),
        ("twice", "yielded a second time", 1),
    ],
)
def test_a_failing_wrapper_is_a_plugin_error_naming_it(
    mode: Mode, where: str, message: str, sent: int
) -> None:
    requests: list[httpx.Request] = []
    outer = Wrapper("outer")

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={})

    client = mode.client(transport=httpx.MockTransport(handler), plugins=[Broken(where), outer])
    with pytest.raises(PluginError, match=message) as caught:
        mode.run(client.invoke, "GET", "/a")
    assert caught.value.plugin == "broken"
    assert caught.value.hook == "cdnetworks_wrap_call"
    assert caught.value.action == "GET /a"
    assert len(requests) == sent
    assert outer.thrown == [caught.value]  # the outer wrapper still closes, with the error


def test_only_wrapper_implementations_are_accepted(mode: Mode) -> None:
    class Plain:
        @hookimpl
        def cdnetworks_wrap_call(self) -> None:
            pass

    class OldStyle:
        @hookimpl(hookwrapper=True)
        def cdnetworks_wrap_call(self) -> Generator[None, Any, None]:
            yield

    for plugin in (Plain(), OldStyle()):
        with pytest.raises(ConfigurationError, match=r"without wrapper=True"):
            mode.client(plugins=[plugin])


def test_a_cancelled_async_call_reaches_the_wrapper_as_its_cancellation(portal: Any) -> None:
    mode = Mode("async", portal)
    wrapper = Wrapper()

    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(10)
        return httpx.Response(200, json={})

    client = mode.client(transport=httpx.MockTransport(slow), plugins=[wrapper])

    async def cancelled() -> bool:
        with anyio.move_on_after(0.2) as scope:
            await client.invoke("GET", "/a")
        return scope.cancelled_caught

    try:
        assert mode.run(cancelled)
    finally:
        mode.close()
    (call,) = wrapper.calls
    assert call.outcome == "cancelled"
    assert isinstance(call.error, BaseException) and not isinstance(call.error, Exception)
    assert wrapper.thrown == [call.error]


# -- operations -----------------------------------------------------------------------------


class Operations:
    """Records operations, their events and the operation each call belongs to."""

    name = "operations"

    def __init__(self) -> None:
        self.log: list[str] = []
        self.finished: list[Operation] = []
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        self.calls: list[CallInfo] = []

    @hookimpl(wrapper=True)
    def cdnetworks_wrap_operation(self, operation: Operation) -> Generator[None, None, None]:
        self.log.append(f"start {operation.kind} {operation.name}")
        try:
            yield
        finally:
            self.log.append(f"end {operation.kind} {operation.outcome}")
            self.finished.append(operation)

    @hookimpl(wrapper=True)
    def cdnetworks_wrap_call(self, call: CallInfo) -> Generator[None, Any, Any]:
        self.calls.append(call)
        return (yield)

    @hookimpl
    def cdnetworks_operation_event(
        self, operation: Operation, name: str, attributes: Mapping[str, Any]
    ) -> None:
        self.events.append((operation.name, name, dict(attributes)))


def test_an_operation_is_the_parent_of_its_calls_and_operations(mode: Mode) -> None:
    plugin = Operations()
    client = mode.client(transport=flaky([]), plugins=[plugin])

    with client.operation("job", "purge", product="cacherefresh", attributes={"n": 2}) as job:
        inside = current_operation()
        with client.operation("job.batch", "purge") as batch:
            mode.run(client.invoke, "GET", "/a")
            batch.event("sent", items=2)
        mode.run(client.invoke, "GET", "/b")
        job.attributes["cdnetworks.job.done"] = True
    assert inside is job
    assert current_operation() is None
    mode.run(client.invoke, "GET", "/c")

    assert plugin.log == [
        "start job purge",
        "start job.batch purge",
        "end job.batch success",
        "end job success",
    ]
    assert batch.parent is job and job.parent is None
    assert [c.operation for c in plugin.calls] == [batch, job, None]
    assert plugin.events == [("purge", "sent", {"items": 2})]
    assert job.attributes == {"n": 2, "cdnetworks.job.done": True}
    assert job.duration is not None and job.operation_id != batch.operation_id


def test_an_operation_that_fails_says_so_and_keeps_its_exception(mode: Mode) -> None:
    plugin = Operations()
    client = mode.client(transport=flaky([404]), plugins=[plugin])
    with pytest.raises(NotFoundError), client.operation("job", "purge") as job:
        mode.run(client.invoke, "GET", "/a")
    assert (job.outcome, type(job.error)) == ("error", NotFoundError)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "", "name": "x"}, "kind"),
        ({"kind": "job", "name": None}, "name"),
        ({"kind": "job", "name": "x", "attributes": {"k": [1]}}, "attributes['k']"),
        ({"kind": "job", "name": "x", "attributes": ["k"]}, "attributes"),
    ],
)
def test_a_bad_operation_is_refused_naming_the_field(
    mode: Mode, kwargs: dict[str, Any], field: str
) -> None:
    client = mode.client()
    with pytest.raises(ValidationError) as caught:
        client.operation(**kwargs)
    assert caught.value.field == field


def test_operations_cost_nothing_without_plugins(mode: Mode) -> None:
    client = mode.client(transport=flaky([]))
    assert client._plugins.call_wrappers() is None
    assert client._plugins.operation_wrappers() is None
    with client.operation("job", "x") as job:
        mode.run(client.invoke, "GET", "/a")
    assert job.outcome == "success"


def image_listing(states: list[str]) -> httpx.MockTransport:
    answers = iter(states)

    def handler(request: httpx.Request) -> httpx.Response:
        state = next(answers, states[-1])
        images = [{"id": "img-1", "name": "web", "state": state, "size": 1}]
        return httpx.Response(200, json={"images": images}, headers={"x-cnc-request-id": "r"})

    return httpx.MockTransport(handler)


def test_a_waiter_is_an_operation_with_a_poll_event_each(mode: Mode, make_images: Any) -> None:
    plugin = Operations()
    images = make_images(transport=image_listing(["BUILDING", "ACTIVE"]), plugins=[plugin])

    mode.run(images.wait_for_image, "img-1", poll_interval=0.001, max_interval=0.001)

    (op,) = plugin.finished
    assert (op.kind, op.name, op.product, op.outcome) == (
        "waiter",
        "wait_for_image",
        "imagemanage",
        "success",
    )
    assert op.attributes == {
        "cdnetworks.waiter.action": "VMPQueryImage",
        "cdnetworks.waiter.subject": "img-1",
        "cdnetworks.waiter.polls": 2,
    }
    assert [c.operation for c in plugin.calls] == [op, op]
    assert [(n, e["poll"], e["finished"]) for _, n, e in plugin.events] == [
        ("poll", 1, False),
        ("poll", 2, True),
    ]
    assert plugin.events[0][2]["state"] == "image img-1: BUILDING"


def test_a_walk_is_an_operation_not_current_between_its_pages(mode: Mode, make_images: Any) -> None:
    plugin = Operations()
    pages = iter([[f"img-{i}" for i in range(2)], ["img-2"]])

    def handler(request: httpx.Request) -> httpx.Response:
        ids = next(pages, [])
        images = [{"id": i, "name": "web", "state": "ACTIVE", "size": 1} for i in ids]
        return httpx.Response(200, json={"images": images})

    images = make_images(transport=httpx.MockTransport(handler), plugins=[plugin])
    walk = images.iter_images(page_size=2)
    seen: list[Any] = []
    if mode.is_async:

        async def drain() -> None:
            async for item in walk:
                seen.append((item.id, current_operation()))

        mode.run(drain)
    else:
        seen.extend((item.id, current_operation()) for item in walk)

    assert seen == [("img-0", None), ("img-1", None), ("img-2", None)]
    (op,) = plugin.finished
    assert (op.kind, op.name, op.outcome) == ("walk", "iter_images", "success")
    assert op.attributes["cdnetworks.walk.pages"] == 2
    assert op.attributes["cdnetworks.walk.items"] == 3
    assert [c.operation for c in plugin.calls] == [op, op]


def test_the_pluggy_seam_is_probed_by_behaviour() -> None:
    # On the pluggy versions in our range, replacing HookImpl.function is honoured; the probe
    # is what decides (and a release that stops honouring it turns the replacement off).
    assert pluggy_seam.can_replace_functions() is True


def test_observers_stay_isolated_when_the_seam_declines(
    mode: Mode, monkeypatch: pytest.MonkeyPatch, log_lines: list[str]
) -> None:
    monkeypatch.setattr(pluggy_seam, "can_replace_functions", lambda: False)
    finished: list[str] = []

    class Raises:
        name = "raises"

        @hookimpl
        def cdnetworks_call_finished(self) -> None:
            raise RuntimeError("observer bug")

    class Counts:
        name = "counts"

        @hookimpl
        def cdnetworks_call_finished(self, outcome: str) -> None:
            finished.append(outcome)

    client = mode.client(transport=flaky([]), plugins=[Counts(), Raises()])
    mode.run(client.invoke, "GET", "/a")
    assert finished == ["success"]
    assert any("'raises' raised in cdnetworks_call_finished" in line for line in log_lines)


def test_prepare_request_sees_the_draft_and_the_current_context(mode: Mode) -> None:
    seen: list[str] = []

    class Stamp:
        name = "stamp"

        @hookimpl(wrapper=True)
        def cdnetworks_wrap_call(self, call: CallInfo) -> Generator[None, Any, Any]:
            token = CURRENT.set(call.action)
            try:
                return (yield)
            finally:
                CURRENT.reset(token)

        @hookimpl
        def cdnetworks_prepare_request(self, request: RequestDraft) -> None:
            request.headers["x-current"] = CURRENT.get() or "none"

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-current"])
        return httpx.Response(200, json={})

    client = mode.client(transport=httpx.MockTransport(handler), plugins=[Stamp()])
    mode.run(client.invoke, "POST", "/x", json={})
    assert seen == ["POST /x"]
