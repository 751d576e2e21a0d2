"""The product as a plugin (entry point), its clients' construction, and the models' metadata."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest
import respx

import cdnetworks.core
from cdnetworks.core import AsyncClient, Client, ConfigurationError, DeferredProduct
from cdnetworks.imagemanage import (
    ACTIONS,
    IMAGEMANAGE,
    AsyncImageManageClient,
    ImageManageClient,
    VMPCreateImageRequest,
    VMPQueryImageRequest,
    __version__,
)
from cdnetworks.imagemanage.plugin import cdnetworks_register_products
from tests.conftest import ACCESS_KEY, CANARY_SECRET, Mode

from .helpers import RID, reply

KEYS: dict[str, Any] = {"access_key": ACCESS_KEY, "secret_key": CANARY_SECRET}


def test_the_entry_point_registers_the_product() -> None:
    found = cdnetworks.core.products()
    assert found["imagemanage"] is IMAGEMANAGE
    assert IMAGEMANAGE.version == __version__
    assert IMAGEMANAGE.client is ImageManageClient
    assert IMAGEMANAGE.async_client is AsyncImageManageClient
    assert [a.name for a in IMAGEMANAGE.actions] == [
        "VMPQueryImage",
        "VMPCreateImage",
        "VMPRemoveImage",
        "DeployVmpImagePreheating",
        "QueryVmpImagePreheatingState",
    ]
    assert [(a.method, a.path) for a in ACTIONS] == [
        ("GET", "/vmp/images"),
        ("POST", "/vmp/images"),
        ("DELETE", "/vmp/images/{imageId}"),
        ("PUT", "/vmp/images/preHeating"),
        ("GET", "/vmp/images/preHeatingInfo/{id}"),
    ]
    assert all(a.product == "imagemanage" and a.summary for a in ACTIONS)
    for cls in (ImageManageClient, AsyncImageManageClient):
        for action in ACTIONS:
            assert callable(getattr(cls, action.method_name))
        for command in IMAGEMANAGE.commands:
            assert callable(getattr(cls, command))
    assert IMAGEMANAGE.commands == ("wait_for_image", "wait_for_preheating")
    query = IMAGEMANAGE.action("VMPQueryImage")
    assert query.paging is not None
    assert (query.paging.method, query.paging.page_size) == ("iter_images", "limit")
    assert "paginate" not in query.extras  # one source: the paging declaration
    assert not IMAGEMANAGE.action("VMPCreateImage").is_idempotent


def test_the_hook_registers_exactly_the_product() -> None:
    registered: list[Any] = []
    cdnetworks_register_products(registered.append)
    assert len(registered) == 1
    entry = registered[0]
    # Named and described without importing it; the product itself is loaded on first use.
    assert isinstance(entry, DeferredProduct)
    assert (entry.name, entry.summary) == ("imagemanage", IMAGEMANAGE.summary)
    assert entry.load() is IMAGEMANAGE


def test_core_client_product_goes_through_the_entry_point(
    mode: Mode, api: respx.MockRouter
) -> None:
    api.get("/vmp/images").mock(return_value=reply(body={"images": [{"id": "img-1"}]}))
    core = mode.client(load_entry_points=True)
    images = core.product("imagemanage")
    assert isinstance(images, AsyncImageManageClient if mode.is_async else ImageManageClient)
    assert images.core is core
    page = mode.run(images.vmp_query_image, limit=1)
    assert page.images[0].id == "img-1"
    assert page.request_id == RID


def test_a_product_client_builds_and_closes_its_own_core(mode: Mode, api: respx.MockRouter) -> None:
    api.get("/vmp/images").mock(return_value=reply(body={"images": []}))
    if mode.is_async:

        async def scenario() -> Any:
            async with AsyncImageManageClient(**KEYS, load_entry_points=False) as images:
                await images.vmp_query_image()
            return images

        images = mode.run(scenario)
        assert isinstance(images.core, AsyncClient)
    else:
        with ImageManageClient(**KEYS, load_entry_points=False) as images:
            images.vmp_query_image()
        assert isinstance(images.core, Client)
    assert images.core._http.is_closed


def test_a_wrapped_core_client_stays_open(mode: Mode) -> None:
    core = mode.client()
    if mode.is_async:
        mode.run(AsyncImageManageClient(client=core).aclose)
    else:
        ImageManageClient(client=core).close()
    assert not core._http.is_closed


def test_core_settings_pass_through_transport_and_endpoint() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return reply(body={"images": []})

    with ImageManageClient(
        **KEYS,
        endpoint="http://127.0.0.1:9/base",
        transport=httpx.MockTransport(answer),
        user_agent_suffix="my-tool/1.0",
        max_attempts=1,
        load_entry_points=False,
    ) as images:
        images.vmp_query_image(state="BUILDING")
    assert str(seen[0].url) == "http://127.0.0.1:9/base/vmp/images?state=BUILDING"
    assert "my-tool/1.0" in seen[0].headers["user-agent"]
    assert images.core.retry.max_attempts == 1


def test_misconfigured_construction_is_refused() -> None:
    core = Client(**KEYS, load_entry_points=False)
    with pytest.raises(ConfigurationError, match="not both"):
        ImageManageClient(client=core, endpoint="https://example.com")
    with pytest.raises(ConfigurationError, match="AsyncClient"):
        AsyncImageManageClient(client=core)  # type: ignore[arg-type]
    core.close()


def test_the_secret_never_shows(mode: Mode) -> None:
    images = (AsyncImageManageClient if mode.is_async else ImageManageClient)(client=mode.client())
    assert CANARY_SECRET not in repr(images)
    assert ACCESS_KEY in repr(images)


def test_every_request_field_is_described_for_tools() -> None:
    for action in ACTIONS:
        struct = msgspec.inspect.type_info(action.request)
        assert isinstance(struct, msgspec.inspect.StructType)
        for field in struct.fields:
            info = field.type
            if isinstance(info, msgspec.inspect.UnionType):
                info = next(t for t in info.types if not isinstance(t, msgspec.inspect.NoneType))
            assert isinstance(info, msgspec.inspect.Metadata), (action.name, field.name)
            assert info.extra_json_schema is not None
            assert info.extra_json_schema["description"]
    schema = msgspec.json.schema(VMPQueryImageRequest)
    props = schema["$defs"]["VMPQueryImageRequest"]["properties"]
    assert props["state"]["anyOf"][0]["enum"] == ["ACTIVE", "BUILDING", "INACTIVE"]
    create = msgspec.json.schema(VMPCreateImageRequest)["$defs"]["VMPCreateImageRequest"]
    assert create["required"] == ["name"]
    assert list(create["properties"]) == [
        "name",
        "instanceUuid",
        "imageSrcUrl",
        "md5",
        "ostype",
        "minDisk",
        "qgaEnabled",
    ]
