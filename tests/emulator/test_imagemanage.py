"""The image service's rules, driven over the wire with ``Client.invoke`` (sync and async)."""

from __future__ import annotations

from typing import Any

import pytest

from cdnetworks.core import (
    ApiError,
    BusinessError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from cdnetworks.core.emulator import Emulator
from cdnetworks.imagemanage.emulator import MAX_IDS, PUBLIC_IMAGES, ImageManageService
from tests.conftest import Mode

from .conftest import NO_RETRY, Wire, make_emulator

URL = "https://images.example.com/web.qcow2"


def _create(wire: Wire, name: str = "web", **fields: Any) -> str:
    body = {"name": name, "imageSrcUrl": URL, "ostype": "linux", **fields}
    image_id: str = wire("POST", "/vmp/images", json=body).data["id"]
    return image_id


def _state(wire: Wire, image_id: str) -> str:
    (image,) = wire.images(ids=image_id)
    state: str = image["state"]
    return state


def _bad_request(wire: Wire, method: str, uri: str, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        wire(method, uri, **kwargs)
    assert caught.value.status_code == 400
    assert caught.value.code == "InvalidParameter"
    return caught.value


def test_public_images_are_seeded_and_reproducible(wire: Wire) -> None:
    images = wire.images(limit=100)
    assert len(images) == len(PUBLIC_IMAGES)
    assert {i["type"] for i in images} == {"COMMON"}
    assert {i["state"] for i in images} == {"ACTIVE"}
    assert {"id", "name", "type", "createdAt", "size", "state"} <= set(images[0])
    assert images[0]["size"].isdigit()

    def ids(seed: int) -> list[str]:
        return make_emulator(seed=seed).service("imagemanage").public_image_ids()  # type: ignore[no-any-return]

    assert ids(1) == ids(1)
    assert ids(1) != ids(2)


def test_created_image_builds_then_becomes_active(wire: Wire, emu: Emulator) -> None:
    image_id = _create(wire)
    assert _state(wire, image_id) == "BUILDING"
    emu.advance(29)
    assert _state(wire, image_id) == "BUILDING"
    emu.advance(1)
    assert _state(wire, image_id) == "ACTIVE"
    (image,) = wire.images(ids=image_id)
    assert (image["name"], image["type"]) == ("web", "CUSTOM")


def test_image_from_a_broken_url_ends_inactive(wire: Wire, emu: Emulator) -> None:
    emu.service("imagemanage").mark_broken("https://images.example.com/corrupt.qcow2")
    bad = _create(wire, imageSrcUrl="https://images.example.com/corrupt.qcow2")
    good = _create(wire)
    emu.advance(30)
    assert (_state(wire, bad), _state(wire, good)) == ("INACTIVE", "ACTIVE")


def test_image_from_a_vm_is_a_snapshot(wire: Wire, emu: Emulator) -> None:
    image_id = wire("POST", "/vmp/images", json={"name": "vm", "instanceUuid": "vm-1"}).data["id"]
    (image,) = wire.images(ids=image_id)
    assert image["type"] == "SNAPSHOT"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"imageSrcUrl": URL, "ostype": "linux"}, "name"),
        ({"name": "x"}, "instanceUuid"),
        (
            {"name": "x", "instanceUuid": "vm-1", "imageSrcUrl": URL, "ostype": "linux"},
            "exactly one",
        ),
        ({"name": "x", "imageSrcUrl": URL}, "ostype"),
        ({"name": "x", "imageSrcUrl": URL, "ostype": "bsd"}, "ostype"),
        ({"name": "x", "imageSrcUrl": URL, "ostype": "linux", "md5": "xyz"}, "md5"),
        ({"name": "x", "imageSrcUrl": URL, "ostype": "linux", "minDisk": 0}, "minDisk"),
        ({"name": "x", "imageSrcUrl": URL, "ostype": "linux", "qgaEnabled": "yes"}, "qgaEnabled"),
        ({"name": "x", "imageSrcUrl": "ftp://x/y", "ostype": "linux"}, "imageSrcUrl"),
    ],
)
def test_create_refuses_bad_bodies_naming_the_field(
    wire: Wire, body: dict[str, Any], field: str
) -> None:
    assert field in _bad_request(wire, "POST", "/vmp/images", json=body).message


def test_remove_own_image(wire: Wire, emu: Emulator) -> None:
    image_id = _create(wire)
    emu.advance(30)
    result = wire("DELETE", f"/vmp/images/{image_id}", json={"imageId": image_id})
    assert result.status_code == 200
    assert result.request_id
    assert wire.images(ids=image_id) == []


def test_public_image_cannot_be_removed(wire: Wire) -> None:
    public = wire.images(type="COMMON", limit=1)[0]["id"]
    with pytest.raises(PermissionDeniedError) as caught:
        wire("DELETE", f"/vmp/images/{public}", json={"imageId": public})
    assert caught.value.code == "OperationDenied"
    assert "public" in caught.value.message
    assert len(wire.images(ids=public)) == 1


def test_another_accounts_image_is_invisible_and_not_removable(
    mode: Mode, wire: Wire, emu: Emulator
) -> None:
    image_id = _create(wire)
    emu.advance(30)
    emu.add_account("AKOTHER", "sk-other")
    other = Wire(mode, emu, access_key="AKOTHER", secret_key="sk-other", retry=NO_RETRY)
    assert other.images(ids=image_id) == []
    with pytest.raises(NotFoundError) as caught:
        other("DELETE", f"/vmp/images/{image_id}")
    assert caught.value.code == "ImageNotFound"
    assert len(wire.images(ids=image_id)) == 1


def test_remove_refuses_building_unknown_and_mismatched(wire: Wire) -> None:
    image_id = _create(wire)
    with pytest.raises(ApiError) as caught:
        wire("DELETE", f"/vmp/images/{image_id}")
    assert (caught.value.status_code, caught.value.code) == (409, "IncorrectImageState")
    with pytest.raises(NotFoundError):
        wire("DELETE", "/vmp/images/img-000000000000")
    _bad_request(wire, "DELETE", f"/vmp/images/{image_id}", json={"imageId": "img-other"})


def test_filters(wire: Wire, emu: Emulator) -> None:
    first = _create(wire, name="alpha")
    emu.advance(30)
    second = _create(wire, name="beta", instanceUuid="vm-9", imageSrcUrl=None, ostype=None)
    assert {i["id"] for i in wire.images(state="BUILDING")} == {second}
    assert {i["id"] for i in wire.images(state="ACTIVE", type="CUSTOM")} == {first}
    assert {i["id"] for i in wire.images(type="SNAPSHOT")} == {second}
    assert [i["id"] for i in wire.images(name="alpha")] == [first]
    assert wire.images(name="alph") == []  # the name filter is exact
    assert {i["id"] for i in wire.images(ids=[first, second, "img-unknown"])} == {first, second}
    _bad_request(wire, "GET", "/vmp/images", params={"type": "PUBLIC"})
    _bad_request(wire, "GET", "/vmp/images", params={"state": "DELETED"})


def test_ids_limit_is_100(wire: Wire) -> None:
    public = [i["id"] for i in wire.images(limit=100)]
    padding = [f"img-{n:012x}" for n in range(MAX_IDS - len(public))]
    assert len(wire.images(ids=public + padding, limit=1000)) == len(public)
    error = _bad_request(wire, "GET", "/vmp/images", params={"ids": [*public, *padding, "img-x"]})
    assert "at most 100" in error.message


def test_sorting(wire: Wire) -> None:
    names = [i["name"] for i in wire.images(sortKey="name", sortDir="asc", limit=100)]
    assert names == sorted(names)
    assert [i["name"] for i in wire.images(sortKey="name", limit=100)] == sorted(
        names, reverse=True
    )
    sizes = [int(i["size"]) for i in wire.images(sortKey="size", sortDir="asc", limit=100)]
    assert sizes == sorted(sizes)
    both = wire.images(sortKey="size,name", sortDir="desc,asc", limit=100)
    assert [(-int(i["size"]), i["name"]) for i in both] == sorted(
        (-int(i["size"]), i["name"]) for i in both
    )
    created = [i["createdAt"] for i in wire.images(limit=100)]  # default: newest first
    assert created == sorted(created, reverse=True)
    _bad_request(wire, "GET", "/vmp/images", params={"sortDir": "asc"})
    _bad_request(wire, "GET", "/vmp/images", params={"sortKey": "color"})
    _bad_request(wire, "GET", "/vmp/images", params={"sortKey": "name", "sortDir": "up"})


def test_marker_paging_walks_every_image_once(wire: Wire) -> None:
    everything = [i["id"] for i in wire.images(sortKey="name", sortDir="asc", limit=100)]
    seen: list[str] = []
    pages = 0
    params: dict[str, Any] = {"sortKey": "name", "sortDir": "asc", "limit": 5}
    while True:
        page = wire.images(**params)
        pages += 1
        seen += [i["id"] for i in page]
        if len(page) < 5:
            break
        params["marker"] = page[-1]["id"]
    assert seen == everything
    assert pages == len(everything) // 5 + 1
    assert len(wire.images()) == 12  # default limit 20 covers the 12 seeded images
    error = _bad_request(wire, "GET", "/vmp/images", params={"marker": "img-nope"})
    assert "marker" in error.message
    _bad_request(wire, "GET", "/vmp/images", params={"limit": 0})


def test_preheating_states_advance_per_node(wire: Wire, emu: Emulator) -> None:
    emu.service("imagemanage").mark_node_broken("node-c")
    image_id = _create(wire)
    emu.advance(30)
    body = {"imageId": image_id, "nodeNames": ["node-a", "node-b", "node-c"]}
    deployed = wire("PUT", "/vmp/images/preHeating", json=body)
    assert deployed.data == {"code": "0", "message": "success"}

    def states() -> dict[str, str]:
        data = wire("GET", f"/vmp/images/preHeatingInfo/{image_id}").data
        assert data["code"] == "0"
        return {n["nodeName"]: n["state"] for n in data["data"]["preHeatingInfo"]}

    assert states() == {"node-a": "WAITING", "node-b": "WAITING", "node-c": "WAITING"}
    emu.advance(10)
    assert states() == {"node-a": "PREHEATING", "node-b": "PREHEATING", "node-c": "PREHEATING"}
    emu.advance(10)
    assert states() == {"node-a": "SUCCESS", "node-b": "PREHEATING", "node-c": "PREHEATING"}
    emu.advance(20)
    assert states() == {"node-a": "SUCCESS", "node-b": "SUCCESS", "node-c": "FAILED"}


def test_preheating_refusals_are_2xx_with_a_failure_code(wire: Wire) -> None:
    public = wire.images(limit=1)[0]["id"]
    building = _create(wire)
    for image_id, code in [
        (public, "OperationDenied"),
        (building, "IncorrectImageState"),
        ("img-000000000000", "ImageNotFound"),
    ]:
        with pytest.raises(BusinessError) as caught:
            wire("PUT", "/vmp/images/preHeating", json={"imageId": image_id, "nodeNames": ["n1"]})
        assert (caught.value.status_code, caught.value.code) == (200, code)
        assert caught.value.request_id
    with pytest.raises(BusinessError):
        wire("GET", "/vmp/images/preHeatingInfo/img-000000000000")
    never = wire("GET", f"/vmp/images/preHeatingInfo/{building}").data
    assert never["data"]["preHeatingInfo"] == []
    for bad in (
        {"imageId": building},
        {"imageId": building, "nodeNames": []},
        {"nodeNames": ["n"]},
    ):
        _bad_request(wire, "PUT", "/vmp/images/preHeating", json=bad)


def test_unknown_routes_and_methods(wire: Wire) -> None:
    with pytest.raises(NotFoundError) as caught:
        wire("GET", "/vmp/volumes")
    assert caught.value.code == "ApiNotFound"
    with pytest.raises(ApiError) as wrong:
        wire("PATCH", "/vmp/images")
    assert wrong.value.status_code == 405
    assert wrong.value.code == "MethodNotAllowed"
    _bad_request(wire, "POST", "/vmp/images", json="not an object")


def test_every_answer_has_a_fresh_request_id(wire: Wire, emu: Emulator) -> None:
    wire("GET", "/vmp/images")
    with pytest.raises(ApiError):
        wire("GET", "/vmp/nothing")
    ids = [e.request_id for e in emu.exchanges]
    assert len(ids) == len(set(ids)) == 2
    assert all(ids)


def test_reset_restores_the_seeded_state(wire: Wire, emu: Emulator) -> None:
    before = wire.images(limit=100)
    _create(wire)
    emu.reset()
    assert wire.images(limit=100) == before
    assert emu.calls == 1


def test_service_options_are_checked() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        ImageManageService(build_seconds=-1)
    small = make_emulator(services=[ImageManageService(public_images=3)])
    assert len(small.service("imagemanage").public_image_ids()) == 3


def test_client_side_validation_still_comes_first(wire: Wire, emu: Emulator) -> None:
    with pytest.raises(ValidationError):
        wire("GET", "/vmp/images?limit=5")
    assert emu.calls == 0
