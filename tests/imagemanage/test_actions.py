"""Each action on the wire (method, path, query, body, signature) and its decoding."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx

from cdnetworks.core import (
    ApiError,
    BusinessError,
    DecodeError,
    NotFoundError,
    ServerError,
    ValidationError,
)
from cdnetworks.imagemanage import (
    DeployVmpImagePreheatingResponse,
    Image,
    QueryVmpImagePreheatingStateResponse,
    VMPCreateImageRequest,
    VMPCreateImageResponse,
    VMPQueryImageRequest,
    VMPQueryImageResponse,
    VMPRemoveImageResponse,
)
from tests.conftest import Mode

from .helpers import RID, assert_signed, reply

LISTING = {
    "images": [
        {
            "id": "img-1",
            "name": "ubuntu-22.04",
            "type": "COMMON",
            "createdAt": "2017-11-04 14:17:41",
            "size": "20",
            "state": "ACTIVE",
        },
        {
            "id": "img-2",
            "name": "web",
            "type": "CUSTOM",
            "createdAt": "2024-01-02 03:04:05",
            "size": 40.5,
            "state": "MIGRATING",  # a state the docs do not list yet: kept as text
            "osVersion": "22.04",  # an unknown field: ignored
        },
    ],
    "id": "flattened-by-the-go-generator",  # top-level extras of the Go model: ignored
}


def test_query_sends_filters_as_sorted_query_and_decodes(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    route = api.get("/vmp/images").mock(return_value=reply(body=LISTING))

    page = mode.run(
        images.vmp_query_image,
        limit=5,
        state="ACTIVE",
        type="CUSTOM",
        sort_key=["name", "createdAt"],
        sort_dir="asc",
        ids=["img-1", "img-2"],
        name="web base",
    )

    request = route.calls.last.request
    assert request.method == "GET"
    assert request.url.raw_path == (
        b"/vmp/images?ids=img-1%2Cimg-2&limit=5&name=web%20base&sortDir=asc"
        b"&sortKey=name%2CcreatedAt&state=ACTIVE&type=CUSTOM"
    )
    assert request.content == b""
    assert_signed(request)
    assert isinstance(page, VMPQueryImageResponse)
    assert page.request_id == RID
    first, second = page.images
    assert first == Image(
        id="img-1",
        name="ubuntu-22.04",
        type="COMMON",
        created_at="2017-11-04 14:17:41",
        size=20,
        state="ACTIVE",
    )
    assert second.size == 40.5
    assert second.state == "MIGRATING"


def test_query_without_arguments_sends_no_query(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    route = api.get("/vmp/images").mock(return_value=reply(body={"images": []}))
    page = mode.run(images.vmp_query_image)
    assert route.calls.last.request.url.raw_path == b"/vmp/images"
    assert page.images == []


def test_query_accepts_comma_separated_text_and_a_request_model(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    route = api.get("/vmp/images").mock(return_value=reply(body={"images": []}))
    # Typed as lists; text is a runtime convenience, as it is for the keyword arguments.
    request = VMPQueryImageRequest(ids="a,b", sort_key="size,state")  # type: ignore[arg-type]
    mode.run(images.vmp_query_image, request)
    assert route.calls.last.request.url.params["ids"] == "a,b"
    assert route.calls.last.request.url.params["sortKey"] == "size,state"
    mode.run(images.vmp_query_image, ids="c,d", sort_key="type", sort_dir="desc")
    assert route.calls.last.request.url.raw_path == (
        b"/vmp/images?ids=c%2Cd&sortDir=desc&sortKey=type"
    )
    with pytest.raises(ValidationError, match="not both"):
        mode.run(images.vmp_query_image, VMPQueryImageRequest(limit=1), limit=2)
    assert route.call_count == 2


def test_query_size_that_is_not_a_number_is_kept(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    api.get("/vmp/images").mock(
        return_value=reply(body={"images": [{"id": "i", "size": "unknown"}, {"id": "j"}]})
    )
    page = mode.run(images.vmp_query_image)
    assert [i.size for i in page.images] == ["unknown", None]


def test_create_posts_the_body_in_the_go_field_order(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    route = api.post("/vmp/images").mock(return_value=reply(body={"id": "img-new"}))

    created = mode.run(
        images.vmp_create_image,
        qga_enabled=True,
        min_disk=40,
        md5="0123456789abcdef0123456789ABCDEF",
        ostype="linux",
        image_src_url="https://files.example.com/web.qcow2",
        name="web",
    )

    request = route.calls.last.request
    assert request.method == "POST"
    assert request.url.raw_path == b"/vmp/images"
    assert request.content == (
        b'{"name":"web","imageSrcUrl":"https://files.example.com/web.qcow2",'
        b'"md5":"0123456789abcdef0123456789ABCDEF","ostype":"linux","minDisk":40,'
        b'"qgaEnabled":"TRUE"}'
    )
    assert_signed(request)
    assert created == VMPCreateImageResponse(id="img-new", request_id=RID)


@pytest.mark.parametrize(
    ("given", "sent"), [(False, "FALSE"), ("true", "TRUE"), ("FALSE", "FALSE")]
)
def test_create_sends_qga_enabled_as_the_api_text(
    mode: Mode, api: respx.MockRouter, images: Any, given: Any, sent: str
) -> None:
    route = api.post("/vmp/images").mock(return_value=reply(body={"id": "img-new"}))
    request = VMPCreateImageRequest(name="snap", instance_uuid="vm-1", qga_enabled=given)
    mode.run(images.vmp_create_image, request)
    assert json.loads(route.calls.last.request.content) == {
        "name": "snap",
        "instanceUuid": "vm-1",
        "qgaEnabled": sent,
    }


@pytest.mark.parametrize("body", [b"", b"{}", b'{"id": ""}', b'{"id": null}'])
def test_create_response_without_an_id_is_a_decode_error(
    mode: Mode, api: respx.MockRouter, images: Any, body: bytes
) -> None:
    api.post("/vmp/images").mock(return_value=reply(raw=body))
    with pytest.raises(DecodeError) as caught:
        mode.run(images.vmp_create_image, name="snap", instance_uuid="vm-1")
    assert caught.value.request_id == RID
    assert caught.value.action == "VMPCreateImage"


def test_create_is_not_retried_after_a_server_error(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    route = api.post("/vmp/images").mock(
        return_value=reply(503, {"code": "ServiceUnavailable", "message": "busy"})
    )
    with pytest.raises(ServerError) as caught:
        mode.run(images.vmp_create_image, name="snap", instance_uuid="vm-1")
    assert route.call_count == 1
    assert caught.value.code == "ServiceUnavailable"
    assert caught.value.request_id == RID


@pytest.mark.parametrize("body", [b"", b"{}"])
def test_remove_sends_the_id_in_path_and_body(
    mode: Mode, api: respx.MockRouter, images: Any, body: bytes
) -> None:
    route = api.delete("/vmp/images/img-9").mock(return_value=reply(raw=body))
    removed = mode.run(images.vmp_remove_image, image_id="img-9")
    request = route.calls.last.request
    assert request.method == "DELETE"
    assert request.content == b'{"imageId":"img-9"}'
    assert_signed(request)  # the payload hash covers the JSON body
    assert removed == VMPRemoveImageResponse(request_id=RID)


@pytest.mark.parametrize(
    ("image_id", "path"),
    [
        ("a/b", b"/vmp/images/a%2Fb"),
        ("../preHeating", b"/vmp/images/..%2FpreHeating"),
        ("x?y=1", b"/vmp/images/x%3Fy%3D1"),
        ("x#frag", b"/vmp/images/x%23frag"),
        ("100%", b"/vmp/images/100%25"),
        ("my image", b"/vmp/images/my%20image"),
        ("a+b", b"/vmp/images/a%2Bb"),
    ],
)
def test_path_ids_cannot_change_the_route(
    mode: Mode, api: respx.MockRouter, images: Any, image_id: str, path: bytes
) -> None:
    route = api.route().mock(return_value=reply(raw=b""))
    mode.run(images.vmp_remove_image, image_id=image_id)
    request = route.calls.last.request
    assert request.url.raw_path == path
    assert json.loads(request.content) == {"imageId": image_id}
    assert_signed(request)
    mode.run(images.query_vmp_image_preheating_state, image_id=image_id)
    state_path = route.calls.last.request.url.raw_path
    assert state_path == b"/vmp/images/preHeatingInfo/" + path.rsplit(b"/", 1)[1]


def test_deploy_preheating_puts_ids_and_deduplicated_nodes(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    route = api.put("/vmp/images/preHeating").mock(
        return_value=reply(body={"code": "0", "message": "success"})
    )
    answer = mode.run(
        images.deploy_vmp_image_preheating,
        image_id="img-1",
        node_names=["node-b", "node-a", "node-b"],
    )
    request = route.calls.last.request
    assert request.method == "PUT"
    assert request.content == b'{"imageId":"img-1","nodeNames":["node-b","node-a"]}'
    assert_signed(request)
    assert answer == DeployVmpImagePreheatingResponse(code="0", message="success", request_id=RID)


def test_query_preheating_state_decodes_nodes(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    route = api.get("/vmp/images/preHeatingInfo/img-1").mock(
        return_value=reply(
            body={
                "code": 0,
                "message": "ok",
                "data": {
                    "preHeatingInfo": [
                        {"nodeName": "node-a", "state": "SUCCESS"},
                        {"nodeName": "node-b", "state": "PREHEATING", "progress": 40},
                    ]
                },
            }
        )
    )
    answer = mode.run(images.query_vmp_image_preheating_state, image_id="img-1")
    request = route.calls.last.request
    assert request.url.raw_path == b"/vmp/images/preHeatingInfo/img-1"
    assert request.content == b""
    assert_signed(request)
    assert isinstance(answer, QueryVmpImagePreheatingStateResponse)
    assert answer.code == "0"
    assert answer.request_id == RID
    assert answer.data.pre_heating_info[0].node_name == "node-a"
    assert [(n.node_name, n.state) for n in answer.data.pre_heating_info] == [
        ("node-a", "SUCCESS"),
        ("node-b", "PREHEATING"),
    ]


def test_query_preheating_state_without_data_is_empty(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    api.get("/vmp/images/preHeatingInfo/img-1").mock(return_value=reply(body={"code": "0"}))
    answer = mode.run(images.query_vmp_image_preheating_state, image_id="img-1")
    assert answer.data.pre_heating_info == []


def test_a_failing_envelope_code_raises_with_code_and_request_id(
    mode: Mode, api: respx.MockRouter, images: Any
) -> None:
    api.put("/vmp/images/preHeating").mock(
        return_value=reply(body={"code": "ImageNotFound", "message": "no such image"})
    )
    with pytest.raises(BusinessError) as caught:
        mode.run(images.deploy_vmp_image_preheating, image_id="img-x", node_names=["n"])
    error = caught.value
    assert isinstance(error, ApiError)
    assert error.code == "ImageNotFound"
    assert error.request_id == RID
    assert error.action == "DeployVmpImagePreheating"
    assert "no such image" in str(error)


def test_a_missing_image_is_not_found(mode: Mode, api: respx.MockRouter, images: Any) -> None:
    route = api.delete("/vmp/images/gone").mock(
        return_value=reply(404, {"code": "ImageNotFound", "message": "image gone not found"})
    )
    with pytest.raises(NotFoundError) as caught:
        mode.run(images.vmp_remove_image, image_id="gone")
    assert route.call_count == 1
    assert caught.value.request_id == RID
    assert caught.value.code == "ImageNotFound"
