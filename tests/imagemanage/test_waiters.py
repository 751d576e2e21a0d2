"""Waiters: success, failure, timeout, progress callbacks, and the core's hooks on every poll."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from cdnetworks.core import NotFoundError, ValidationError, hookimpl
from cdnetworks.core.waiters import Progress, WaiterError, WaitFailedError, WaitTimeoutError
from cdnetworks.imagemanage import Image
from tests.conftest import Mode

from .helpers import RID, assert_signed, reply

FAST = {"poll_interval": 0.001, "max_interval": 0.002}


class CallRecorder:
    """A hook plugin that records every finished call, as a user's tracing plugin would."""

    name = "test.recorder"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []

    @hookimpl
    def cdnetworks_call_finished(self, action: str, outcome: str, request_id: str | None) -> None:
        self.calls.append((action, outcome, request_id))


def states(*sequence: list[dict[str, Any]]) -> Iterator[httpx.Response]:
    """Successive listings of ``ids=...``, the last one repeated forever."""
    for images in sequence:
        yield reply(body={"images": images})
    while True:
        yield reply(body={"images": sequence[-1]})


def image(state: str) -> dict[str, Any]:
    return {"id": "img-1", "name": "web", "state": state, "size": 20}


def test_wait_for_image_polls_until_active(
    mode: Mode, api: respx.MockRouter, make_images: Any
) -> None:
    recorder = CallRecorder()
    images = make_images(plugins=[recorder])
    route = api.get("/vmp/images").mock(
        side_effect=states([], [image("BUILDING")], [image("BUILDING")], [image("ACTIVE")])
    )
    seen: list[Progress[Image | None]] = []

    ready = mode.run(images.wait_for_image, "img-1", progress=seen.append, **FAST)

    assert ready == Image(id="img-1", name="web", state="ACTIVE", size=20)
    assert route.call_count == 4
    for call in route.calls:
        assert call.request.url.params["ids"] == "img-1"
        assert_signed(call.request)
    assert [p.poll for p in seen] == [1, 2, 3, 4]
    assert [p.value.state if p.value else None for p in seen] == [
        None,
        "BUILDING",
        "BUILDING",
        "ACTIVE",
    ]
    assert [p.finished for p in seen] == [False, False, False, True]
    assert all(p.request_id == RID for p in seen)
    assert seen[-1].elapsed >= 0
    assert seen[0].summary().startswith("image img-1: not listed yet (poll 1, ")
    assert seen[1].summary().startswith("image img-1: BUILDING (poll 2, ")
    assert (seen[1].done, seen[1].total) == (None, None)
    assert recorder.calls == [("VMPQueryImage", "success", RID)] * 4


def test_wait_for_image_fails_fast_on_inactive(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    route = api.get("/vmp/images").mock(
        side_effect=states([image("BUILDING")], [image("INACTIVE")])
    )
    with pytest.raises(WaitFailedError, match="img-1 is INACTIVE") as caught:
        mode.run(images.wait_for_image, "img-1", **FAST)
    assert route.call_count == 2
    assert caught.value.polls == 2
    assert caught.value.last.state == "INACTIVE"
    assert caught.value.action == "VMPQueryImage"


def test_wait_for_image_times_out(mode: Mode, api: respx.MockRouter, images: Any) -> None:
    api.get("/vmp/images").mock(side_effect=states([image("BUILDING")]))
    with pytest.raises(WaitTimeoutError) as caught:
        mode.run(images.wait_for_image, "img-1", timeout=0.03, **FAST)
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert isinstance(error, WaiterError)
    assert error.polls >= 2
    assert error.last.state == "BUILDING"
    assert "not done after 0.03 s" in str(error)


def test_wait_for_image_states_are_overridable(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    api.get("/vmp/images").mock(side_effect=states([image("BUILDING")]))
    done = mode.run(images.wait_for_image, "img-1", ready_states=["building"], **FAST)
    assert done.state == "BUILDING"


def test_backoff_grows_the_interval_up_to_the_cap(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    api.get("/vmp/images").mock(side_effect=states(*([[image("BUILDING")]] * 4), [image("ACTIVE")]))
    seen: list[float] = []
    mode.run(
        images.wait_for_image,
        "img-1",
        poll_interval=0.01,
        backoff=2.0,
        max_interval=0.02,
        progress=lambda p: seen.append(p.elapsed),
    )
    gaps = [b - a for a, b in itertools.pairwise(seen)]
    assert len(gaps) == 4
    assert gaps[0] >= 0.01
    assert all(g >= 0.02 for g in gaps[1:])


def preheating(*nodes: tuple[str, str]) -> httpx.Response:
    info = [{"nodeName": n, "state": s} for n, s in nodes]
    return reply(body={"code": "0", "message": "ok", "data": {"preHeatingInfo": info}})


def test_wait_for_preheating_until_every_node_is_done(
    mode: Mode, api: respx.MockRouter, make_images: Any
) -> None:
    recorder = CallRecorder()
    images = make_images(plugins=[recorder])
    route = api.get("/vmp/images/preHeatingInfo/img-1").mock(
        side_effect=[
            preheating(),
            preheating(("node-a", "PREHEATING")),
            preheating(("node-a", "SUCCESS"), ("node-b", "PREHEATING"), ("node-c", "FAILED")),
            preheating(("node-a", "SUCCESS"), ("node-b", "success"), ("node-c", "FAILED")),
        ]
    )
    seen: list[Progress[Any]] = []

    final = mode.run(
        images.wait_for_preheating, "img-1", ["node-a", "node-b"], progress=seen.append, **FAST
    )

    assert dict(final) == {"node-a": "SUCCESS", "node-b": "success"}
    assert route.call_count == 4
    assert [dict(p.value) for p in seen] == [
        {"node-a": None, "node-b": None},
        {"node-a": "PREHEATING", "node-b": None},
        {"node-a": "SUCCESS", "node-b": "PREHEATING"},
        {"node-a": "SUCCESS", "node-b": "success"},
    ]
    assert recorder.calls == [("QueryVmpImagePreheatingState", "success", RID)] * 4
    assert [(p.done, p.total) for p in seen] == [(0, 2), (0, 2), (1, 2), (2, 2)]
    assert [p.finished for p in seen] == [False, False, False, True]
    assert seen[2].summary() == (
        f"pre-warming img-1: 1 of 2 nodes final (node-a=SUCCESS, node-b=PREHEATING) "
        f"(poll 3, {seen[2].elapsed:.1f} s)"
    )
    assert "node-b=not reported" in seen[1].summary()


def test_wait_for_preheating_of_all_reported_nodes_names_the_failures(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    api.get("/vmp/images/preHeatingInfo/img-1").mock(
        side_effect=[
            preheating(("node-a", "PREHEATING"), ("node-b", "FAILED")),
            preheating(("node-a", "SUCCESS"), ("node-b", "FAILED")),
        ]
    )
    with pytest.raises(WaitFailedError, match="failed on node-b=FAILED") as caught:
        mode.run(images.wait_for_preheating, "img-1", **FAST)
    assert caught.value.polls == 2
    assert dict(caught.value.last) == {"node-a": "SUCCESS", "node-b": "FAILED"}


def test_wait_for_preheating_with_the_callers_states(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    api.get("/vmp/images/preHeatingInfo/img-1").mock(
        side_effect=[preheating(("n1", "RUNNING")), preheating(("n1", "WARM"))]
    )
    final = mode.run(
        images.wait_for_preheating, "img-1", done_states=["warm"], failed_states=["cold"], **FAST
    )
    assert dict(final) == {"n1": "WARM"}


def test_wait_for_preheating_times_out(mode: Mode, api: respx.MockRouter, images: Any) -> None:
    api.get("/vmp/images/preHeatingInfo/img-1").mock(
        return_value=preheating(("node-a", "PREHEATING"))
    )
    with pytest.raises(WaitTimeoutError) as caught:
        mode.run(images.wait_for_preheating, "img-1", ["node-a"], timeout=0.02, **FAST)
    assert dict(caught.value.last) == {"node-a": "PREHEATING"}


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"image_id": ""}, "image_id"),
        ({"image_id": "img-1", "backoff": 0.5}, "backoff"),
        ({"image_id": "img-1", "timeout": -1}, "timeout"),
        ({"image_id": "img-1", "poll_interval": "fast"}, "poll_interval"),
        ({"image_id": "img-1", "node_names": []}, "node_names"),
        ({"image_id": "img-1", "node_names": ["a", ""]}, "node_names"),
        ({"image_id": "img-1", "done_states": ["X"], "failed_states": ["x"]}, "failed_states"),
    ],
)
def test_bad_waiter_arguments_fail_before_polling(
    mode: Mode, api: respx.MockRouter, images: Any, arguments: dict[str, Any], field: str
) -> None:
    route = api.route().respond(200, json={})
    with pytest.raises(ValidationError) as caught:
        mode.run(images.wait_for_preheating, **arguments)
    assert caught.value.field == field
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("method", "arguments", "field"),
    [
        # Text where a list is meant would be read letter by letter: n, o, d, e, -, a.
        ("wait_for_preheating", {"image_id": "img-1", "node_names": "node-a"}, "node_names"),
        ("wait_for_preheating", {"image_id": "img-1", "node_names": [None]}, "node_names"),
        ("wait_for_preheating", {"image_id": "img-1", "done_states": "SUCCESS"}, "done_states"),
        ("wait_for_image", {"image_id": "img-1", "ready_states": "ACTIVE"}, "ready_states"),
        ("wait_for_image", {"image_id": "img-1", "timeout": float("nan")}, "timeout"),
        ("wait_for_image", {"image_id": "img-1", "timeout": float("inf")}, "timeout"),
        ("wait_for_image", {"image_id": "img-1", "poll_interval": float("nan")}, "poll_interval"),
        ("wait_for_image", {"image_id": "img-1", "poll_interval": 0}, "poll_interval"),
        ("wait_for_image", {"image_id": "img-1", "backoff": float("inf")}, "backoff"),
        ("wait_for_image", {"image_id": None}, "image_id"),
        ("wait_for_image", {"image_id": "img-1", "progress": "print"}, "progress"),
    ],
)
def test_arguments_that_would_wait_forever_are_refused_before_polling(
    mode: Mode,
    api: respx.MockRouter,
    images: Any,
    method: str,
    arguments: dict[str, Any],
    field: str,
) -> None:
    route = api.route().respond(200, json={})
    with pytest.raises(ValidationError) as caught:
        mode.run(getattr(images, method), **arguments)
    assert caught.value.field == field
    assert route.call_count == 0


def test_an_image_that_never_appears_fails_early(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    route = api.get("/vmp/images").mock(side_effect=states([]))
    with pytest.raises(WaitFailedError, match="not listed in 3 answers in a row") as caught:
        mode.run(images.wait_for_image, "img-gone", timeout=60, **FAST)
    assert route.call_count == 3
    assert caught.value.last is None


def test_the_service_saying_missing_ends_the_wait_with_its_error(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    api.get("/vmp/images/preHeatingInfo/img-x").mock(
        return_value=httpx.Response(
            404,
            json={"code": "ImageNotFound", "message": "no such image"},
            headers={"x-cnc-request-id": RID},
        )
    )
    with pytest.raises(NotFoundError) as caught:
        mode.run(images.wait_for_preheating, "img-x", timeout=60, **FAST)
    assert caught.value.code == "ImageNotFound"
    assert caught.value.request_id == RID
