"""``iter_images``: marker paging across pages, limits, and a server that repeats a marker."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from cdnetworks.core import ValidationError
from cdnetworks.core.paging import PaginationError
from cdnetworks.imagemanage import Image, ImageWalk, VMPQueryImageResponse
from tests.conftest import Mode

from .helpers import assert_signed, drain, reply

CATALOGUE = [{"id": f"img-{i:03d}", "name": f"image {i}", "state": "ACTIVE"} for i in range(45)]


def serve(catalogue: list[dict[str, Any]]) -> Any:
    """A listing that pages by marker the way the API documents it."""

    def answer(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        limit = int(params.get("limit", "20"))
        start = 0
        if "marker" in params:
            start = [i["id"] for i in catalogue].index(params["marker"]) + 1
        return reply(body={"images": catalogue[start : start + limit]})

    return answer


def test_walks_every_page_by_marker(mode: Mode, api: respx.MockRouter, images: Any) -> None:
    route = api.get("/vmp/images").mock(side_effect=serve(CATALOGUE))

    found = drain(mode, images.iter_images(page_size=20, state="ACTIVE", sort_key="name"))

    assert [i.id for i in found] == [i["id"] for i in CATALOGUE]
    assert all(isinstance(i, Image) for i in found)
    sent = [call.request for call in route.calls]
    assert [r.url.params.get("marker") for r in sent] == [None, "img-019", "img-039"]
    for request in sent:
        assert request.url.params["state"] == "ACTIVE"
        assert request.url.params["sortKey"] == "name"
        assert request.url.params["limit"] == "20"
        assert_signed(request)


def test_a_full_last_page_costs_one_empty_request(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    route = api.get("/vmp/images").mock(side_effect=serve(CATALOGUE[:40]))
    found = drain(mode, images.iter_images(page_size=20))
    assert len(found) == 40
    assert route.call_count == 3


def test_limit_caps_the_total_and_stops_asking(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    route = api.get("/vmp/images").mock(side_effect=serve(CATALOGUE))
    found = drain(mode, images.iter_images(page_size=10, limit=25))
    assert [i.id for i in found] == [i["id"] for i in CATALOGUE[:25]]
    assert route.call_count == 3
    assert drain(mode, images.iter_images(limit=0)) == []
    assert route.call_count == 3


def test_starts_after_a_given_marker(mode: Mode, api: respx.MockRouter, images: Any) -> None:
    api.get("/vmp/images").mock(side_effect=serve(CATALOGUE))
    found = drain(mode, images.iter_images(page_size=15, marker="img-039"))
    assert [i.id for i in found] == ["img-040", "img-041", "img-042", "img-043", "img-044"]


def test_a_server_repeating_a_marker_is_stopped(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    # The server ignores the marker and answers the first page again and again.
    route = api.get("/vmp/images").mock(return_value=reply(body={"images": CATALOGUE[:5]}))
    with pytest.raises(PaginationError, match="repeated marker 'img-004'"):
        drain(mode, images.iter_images(page_size=5))
    assert route.call_count == 2


def test_a_server_answering_the_starting_marker_is_stopped(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    api.get("/vmp/images").mock(return_value=reply(body={"images": CATALOGUE[:5]}))
    with pytest.raises(PaginationError):
        drain(mode, images.iter_images(page_size=5, marker="img-004"))


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"limit": -1}, "limit"),
        ({"state": "READY"}, "state"),
        ({"sort_dir": "asc"}, "sort_dir"),
    ],
)
def test_bad_arguments_fail_before_iteration(
    mode: Mode, api: respx.MockRouter, images: Any, arguments: dict[str, Any], field: str
) -> None:
    route = api.get("/vmp/images").respond(200, json={"images": []})
    with pytest.raises(ValidationError) as caught:
        images.iter_images(**arguments)  # raises on the call, not on the first next()
    assert caught.value.field == field
    assert route.call_count == 0


def test_the_walk_is_plain_data_without_io() -> None:
    walk = ImageWalk({"type": "CUSTOM"}, page_size=2, limit=3)
    first = walk.next_request()
    assert first is not None
    assert (first.limit, first.type, first.marker) == (2, "CUSTOM", None)
    page = VMPQueryImageResponse(images=[Image(id="a"), Image(id="b")])
    assert [i.id for i in walk.feed(page)] == ["a", "b"]
    second = walk.next_request()
    assert second is not None
    assert second.marker == "b"
    page = VMPQueryImageResponse(images=[Image(id="c"), Image(id="d")])
    assert [i.id for i in walk.feed(page)] == ["c"]
    assert walk.next_request() is None
    assert (walk.pages, walk.yielded) == (2, 3)
    with pytest.raises(ValidationError, match="page_size"):
        ImageWalk({"limit": 5})
