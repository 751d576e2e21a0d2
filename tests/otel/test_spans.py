"""cdnetworks-otel through real clients, sync and async: the span of a call and its attributes,
failures, retries, cancellation, waiters, walks and jobs as parent spans, what is current in
``cdnetworks_prepare_request``, and metrics."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from cdnetworks.core import ConnectError, NotFoundError, RequestDraft, hookimpl
from cdnetworks.otel import OpenTelemetryPlugin
from tests.conftest import Mode

from .conftest import Telemetry

ENDPOINT = "https://api.example.com"
RID = "rid-otel-0001"


@pytest.fixture
def make_images(mode: Mode) -> Any:
    from cdnetworks.imagemanage import AsyncImageManageClient, ImageManageClient

    def make(**core_settings: Any) -> Any:
        cls = AsyncImageManageClient if mode.is_async else ImageManageClient
        return cls(client=mode.client(endpoint=ENDPOINT, **core_settings))

    return make


def answers(*script: int | type[httpx.TransportError], body: Any = None) -> httpx.MockTransport:
    """Answers in turn (a status, or an httpx exception class to raise), the last repeated."""
    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        step = script[min(len(sent), len(script) - 1)]
        sent.append(1)
        if isinstance(step, type):
            raise step("connection refused", request=request)
        payload = body if step == 200 else {"code": "NoSuchImage", "message": "not found"}
        return httpx.Response(
            step, json=payload if payload is not None else {}, headers={"x-cnc-request-id": RID}
        )

    return httpx.MockTransport(handler)


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def test_a_call_is_one_client_span_named_product_slash_action(
    mode: Mode, make_images: Any, telemetry: Telemetry
) -> None:
    images = make_images(transport=answers(200, body={"images": []}), plugins=[telemetry.plugin()])
    mode.run(images.vmp_query_image, name="web", state="ACTIVE")

    (span,) = telemetry.spans()
    assert span.name == "imagemanage/VMPQueryImage"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "cdnetworks.otel"
    assert span.instrumentation_scope.schema_url == "https://opentelemetry.io/schemas/1.37.0"
    a = attrs(span)
    assert a["rpc.system"] == "cdnetworks"
    assert a["rpc.service"] == "imagemanage"
    assert a["rpc.method"] == "VMPQueryImage"
    assert a["server.address"] == "api.example.com"
    assert a["server.port"] == 443
    assert a["http.request.method"] == "GET"
    assert a["http.response.status_code"] == 200
    assert a["cdnetworks.request_id"] == RID
    assert a["cdnetworks.attempts"] == 1
    assert a["cdnetworks.outcome"] == "success"
    assert a["url.full"] == "https://api.example.com/vmp/images"  # no query, so no values
    assert "error.type" not in a
    assert span.events == ()


def test_an_api_error_sets_status_error_type_and_the_exception(
    mode: Mode, make_images: Any, telemetry: Telemetry
) -> None:
    images = make_images(transport=answers(404), plugins=[telemetry.plugin()])
    with pytest.raises(NotFoundError):
        mode.run(images.vmp_query_image, name="web")

    (span,) = telemetry.spans()
    a = attrs(span)
    assert span.status.status_code is StatusCode.ERROR
    assert "NoSuchImage" in (span.status.description or "")
    assert a["error.type"] == "NotFoundError"
    assert a["http.response.status_code"] == 404
    assert a["cdnetworks.request_id"] == RID
    assert a["cdnetworks.outcome"] == "error"
    (event,) = span.events
    assert event.name == "exception"
    assert (event.attributes or {})["exception.type"] == "cdnetworks.core.errors.NotFoundError"


def test_a_transport_failure_retried_shows_each_retry(
    mode: Mode, make_images: Any, telemetry: Telemetry
) -> None:
    images = make_images(
        transport=answers(httpx.ConnectError, httpx.ConnectError, 200, body={"images": []}),
        plugins=[telemetry.plugin()],
    )
    mode.run(images.vmp_query_image)

    (span,) = telemetry.spans()
    assert span.status.status_code is StatusCode.UNSET
    assert attrs(span)["cdnetworks.attempts"] == 3
    retries = [e for e in span.events if e.name == "retry"]
    assert [(e.attributes or {})["cdnetworks.retry.attempt"] for e in retries] == [1, 2]
    for event in retries:
        a = dict(event.attributes or {})
        assert str(a["cdnetworks.retry.reason"]).startswith("ConnectError")
        assert a["cdnetworks.retry.delay"] == 0.0  # the test clients' policy waits not at all

    points = telemetry.metrics()
    (retried,) = points["cdnetworks.client.retries"]
    assert retried.value == 2
    assert dict(retried.attributes) == {
        "rpc.system": "cdnetworks",
        "rpc.service": "imagemanage",
        "rpc.method": "VMPQueryImage",
    }


def test_a_transport_failure_that_gives_up_is_an_error_span(
    mode: Mode, make_images: Any, telemetry: Telemetry
) -> None:
    images = make_images(transport=answers(httpx.ConnectError), plugins=[telemetry.plugin()])
    with pytest.raises(ConnectError):
        mode.run(images.vmp_query_image)

    (span,) = telemetry.spans()
    a = attrs(span)
    assert a["error.type"] == "ConnectError"
    assert a["cdnetworks.attempts"] == 3
    assert "http.response.status_code" not in a  # nothing answered
    assert span.status.status_code is StatusCode.ERROR
    assert [e.name for e in span.events] == ["retry", "retry", "exception"]


def test_metrics_hold_duration_calls_and_error_type(
    mode: Mode, make_images: Any, telemetry: Telemetry
) -> None:
    plugin = telemetry.plugin()
    ok = make_images(transport=answers(200, body={"images": []}), plugins=[plugin])
    missing = make_images(transport=answers(404), plugins=[plugin])
    mode.run(ok.vmp_query_image)
    mode.run(ok.vmp_query_image)
    with pytest.raises(NotFoundError):
        mode.run(missing.vmp_query_image)

    points = telemetry.metrics()
    assert points["rpc.client.duration:unit"] == ["s"]
    by_error = {p.attributes.get("error.type"): p for p in points["rpc.client.duration"]}
    assert set(by_error) == {None, "NotFoundError"}
    assert by_error[None].count == 2
    assert by_error["NotFoundError"].count == 1
    assert 0 < by_error[None].sum < 5  # seconds, not milliseconds
    assert by_error[None].explicit_bounds[0] == 0.005
    for point in points["rpc.client.duration"] + points["cdnetworks.client.calls"]:
        assert point.attributes["rpc.service"] == "imagemanage"
        assert point.attributes["rpc.method"] == "VMPQueryImage"
    calls = {p.attributes.get("error.type"): p.value for p in points["cdnetworks.client.calls"]}
    assert calls == {None: 2, "NotFoundError": 1}


def test_the_call_span_is_current_in_prepare_request_of_every_attempt(
    mode: Mode, make_images: Any, telemetry: Telemetry
) -> None:
    seen: list[tuple[int, int]] = []

    class Peek:
        name = "peek"

        @hookimpl
        def cdnetworks_prepare_request(self, request: RequestDraft) -> None:
            ctx = trace.get_current_span().get_span_context()
            seen.append((ctx.trace_id, ctx.span_id))

    images = make_images(
        transport=answers(503, 200, body={"images": []}), plugins=[Peek(), telemetry.plugin()]
    )
    mode.run(images.vmp_query_image)

    (span,) = telemetry.spans()
    assert span.context is not None
    assert seen == [(span.context.trace_id, span.context.span_id)] * 2
    assert not trace.get_current_span().get_span_context().is_valid  # nothing left current


def test_a_call_inside_an_application_span_is_its_child(
    mode: Mode, make_images: Any, telemetry: Telemetry
) -> None:
    images = make_images(transport=answers(200, body={"images": []}), plugins=[telemetry.plugin()])
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("deploy"):
        mode.run(images.vmp_query_image)
    call, deploy = telemetry.spans()
    assert call.parent is not None and deploy.context is not None
    assert call.parent.span_id == deploy.context.span_id


def test_a_cancelled_async_call_ends_its_span_as_cancelled(
    portal: Any, telemetry: Telemetry
) -> None:
    mode = Mode("async", portal)

    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(10)
        return httpx.Response(200, json={})

    client = mode.client(
        endpoint=ENDPOINT, transport=httpx.MockTransport(slow), plugins=[telemetry.plugin()]
    )

    async def cancelled() -> bool:
        with anyio.move_on_after(0.2) as scope:
            await client.invoke("GET", "/vmp/images", params={"name": "web"})
        return scope.cancelled_caught

    try:
        assert mode.run(cancelled)
    finally:
        mode.close()
    (span,) = telemetry.spans()
    a = attrs(span)
    assert span.name == "GET /vmp/images"  # invoke: no product, the action is method and path
    assert "rpc.service" not in a
    assert a["cdnetworks.outcome"] == "cancelled"
    assert a["error.type"] == "CancelledError"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "cancelled"
    assert span.end_time is not None
    (point,) = telemetry.metrics()["cdnetworks.client.calls"]
    assert point.attributes["error.type"] == "CancelledError"


def image_states(*states: str) -> httpx.MockTransport:
    polls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        state = states[min(len(polls), len(states) - 1)]
        polls.append(1)
        images = [{"id": "img-1", "name": "web", "state": state, "size": 1}]
        return httpx.Response(200, json={"images": images}, headers={"x-cnc-request-id": RID})

    return httpx.MockTransport(handler)


def test_a_waiter_is_the_parent_span_of_its_polls(
    mode: Mode, make_images: Any, telemetry: Telemetry
) -> None:
    images = make_images(
        transport=image_states("BUILDING", "BUILDING", "ACTIVE"), plugins=[telemetry.plugin()]
    )
    mode.run(images.wait_for_image, "img-1", poll_interval=0.001, max_interval=0.001)

    waiter = telemetry.span("imagemanage/wait_for_image")
    polls = [s for s in telemetry.spans() if s.name == "imagemanage/VMPQueryImage"]
    assert waiter.kind is SpanKind.INTERNAL
    assert len(polls) == 3
    assert waiter.context is not None
    for poll in polls:
        assert poll.parent is not None and poll.parent.span_id == waiter.context.span_id
        assert attrs(poll)["cdnetworks.operation.kind"] == "waiter"
    a = attrs(waiter)
    assert a["cdnetworks.operation.kind"] == "waiter"
    assert a["cdnetworks.waiter.subject"] == "img-1"
    assert a["cdnetworks.waiter.polls"] == 3
    assert a["cdnetworks.outcome"] == "success"
    events = [dict(e.attributes or {}) for e in waiter.events if e.name == "poll"]
    assert [e["cdnetworks.waiter.poll"] for e in events] == [1, 2, 3]
    assert [e["cdnetworks.waiter.finished"] for e in events] == [False, False, True]
    assert events[0]["cdnetworks.waiter.state"] == "image img-1: BUILDING"


def test_a_failed_waiter_is_an_error_span(
    mode: Mode, make_images: Any, telemetry: Telemetry
) -> None:
    from cdnetworks.core.waiters import WaitFailedError

    images = make_images(transport=image_states("INACTIVE"), plugins=[telemetry.plugin()])
    with pytest.raises(WaitFailedError):
        mode.run(images.wait_for_image, "img-1", poll_interval=0.001)
    waiter = telemetry.span("imagemanage/wait_for_image")
    assert waiter.status.status_code is StatusCode.ERROR
    assert attrs(waiter)["error.type"] == "WaitFailedError"


def test_a_walk_is_the_parent_span_of_its_pages(
    mode: Mode, make_images: Any, telemetry: Telemetry
) -> None:
    pages = iter([["a", "b"], ["c"]])

    def handler(request: httpx.Request) -> httpx.Response:
        ids = next(pages, [])
        items = [{"id": i, "name": "web", "state": "ACTIVE", "size": 1} for i in ids]
        return httpx.Response(200, json={"images": items})

    images = make_images(transport=httpx.MockTransport(handler), plugins=[telemetry.plugin()])
    walk = images.iter_images(page_size=2)
    current: list[bool] = []
    if mode.is_async:

        async def drain() -> None:
            async for _ in walk:
                current.append(trace.get_current_span().get_span_context().is_valid)

        mode.run(drain)
    else:
        for _ in walk:
            current.append(trace.get_current_span().get_span_context().is_valid)

    assert current == [False, False, False]  # nothing of the walk is current in the caller
    walk_span = telemetry.span("imagemanage/iter_images")
    pages_spans = [s for s in telemetry.spans() if s.name == "imagemanage/VMPQueryImage"]
    assert len(pages_spans) == 2
    assert walk_span.context is not None
    assert all(p.parent and p.parent.span_id == walk_span.context.span_id for p in pages_spans)
    assert attrs(walk_span)["cdnetworks.walk.pages"] == 2
    assert attrs(walk_span)["cdnetworks.walk.items"] == 3


def test_operations_nest_as_spans_job_then_batch_then_call(
    mode: Mode, telemetry: Telemetry
) -> None:
    client = mode.client(
        endpoint=ENDPOINT, transport=answers(200, body={}), plugins=[telemetry.plugin()]
    )
    with client.operation(
        "job", "purge", product="cacherefresh", attributes={"cdnetworks.job.items": 3}
    ) as job:
        job.attributes["cdnetworks.job.batches"] = 2
        for index in range(2):
            with client.operation(
                "job.batch", "purge-batch", product="cacherefresh", attributes={"index": index}
            ) as batch:
                mode.run(client.invoke, "POST", "/ccm/purge/ItemIdReceiver", json={})
                batch.event("submitted", items=2)

    job_span = telemetry.span("cacherefresh/purge")
    batches = [s for s in telemetry.spans() if s.name == "cacherefresh/purge-batch"]
    calls = [s for s in telemetry.spans() if s.kind is SpanKind.CLIENT]
    assert job_span.context is not None
    assert len(batches) == 2 and len(calls) == 2
    for batch_span, call in zip(batches, calls, strict=True):
        assert (
            batch_span.parent is not None and batch_span.parent.span_id == job_span.context.span_id
        )
        assert batch_span.context is not None and call.parent is not None
        assert call.parent.span_id == batch_span.context.span_id
        (event,) = batch_span.events
        assert event.name == "submitted"
        assert dict(event.attributes or {}) == {"cdnetworks.job.batch.items": 2}
    assert attrs(job_span)["cdnetworks.job.items"] == 3
    assert attrs(job_span)["cdnetworks.job.batches"] == 2


def test_a_configured_instance_replaces_the_entry_point_one(telemetry: Telemetry) -> None:
    import cdnetworks.otel
    from cdnetworks.core import Client

    with Client(access_key="AK", secret_key="SK", endpoint=ENDPOINT) as default:
        assert default.plugin_manager.get_plugin("cdnetworks.otel") is cdnetworks.otel.plugin
    mine = telemetry.plugin(propagate=True)
    with Client(access_key="AK", secret_key="SK", endpoint=ENDPOINT, plugins=[mine]) as client:
        assert client.plugin_manager.get_plugin("cdnetworks.otel") is mine
    with Client(
        access_key="AK", secret_key="SK", endpoint=ENDPOINT, disable_plugins=["cdnetworks.otel"]
    ) as off:
        assert off.plugin_manager.get_plugin("cdnetworks.otel") is None


def test_propagate_must_be_a_bool() -> None:
    from cdnetworks.core import ConfigurationError

    with pytest.raises(ConfigurationError, match="propagate"):
        OpenTelemetryPlugin(propagate="yes")  # type: ignore[arg-type]


def test_a_job_is_the_parent_span_of_its_batches_and_their_calls(
    mode: Mode, telemetry: Telemetry
) -> None:
    from tests.jobs.conftest import FAST, REFRESH, job_emulator, over

    emu = job_emulator()
    refresh = over(mode, emu, REFRESH, plugins=[telemetry.plugin()])
    urls = [f"https://www.example.com/p/{i}.html" for i in range(600)]  # two batches of <= 500
    report = mode.run(refresh.purge_many, urls=urls, **FAST)
    assert report.ok

    spans = telemetry.spans()
    jobs = [s for s in spans if attrs(s).get("cdnetworks.operation.kind") == "job"]
    batches = [s for s in spans if attrs(s).get("cdnetworks.operation.kind") == "job.batch"]
    purges = [s for s in spans if s.name == "cacherefresh/Purge"]
    (job,) = [s for s in jobs if s.kind is SpanKind.INTERNAL]
    assert job.context is not None
    assert job.name.startswith("cacherefresh/")
    assert attrs(job)["cdnetworks.outcome"] == "success"
    batch_spans = [s for s in batches if s.kind is SpanKind.INTERNAL]
    assert len(batch_spans) == len(purges) == report.plan.batches == 2
    batch_ids = {b.context.span_id for b in batch_spans if b.context is not None}
    for batch in batch_spans:
        assert batch.parent is not None and batch.parent.span_id == job.context.span_id
    for purge in purges:
        assert purge.parent is not None and purge.parent.span_id in batch_ids
    # Its other calls (the quota, the tasks' status) are the job's own children.
    others = [s for s in spans if s.kind is SpanKind.CLIENT and s not in purges]
    assert others
    assert all(s.parent is not None and s.parent.span_id == job.context.span_id for s in others)
