"""The image product's typed clients against the emulator: the SDK's main job, end to end.

Real time here (the waiters sleep between polls), with a fast service: builds take 50 ms and a
pre-warming step 20 ms.
"""

from __future__ import annotations

from typing import Any

import pytest

from cdnetworks.core import BusinessError, PermissionDeniedError
from cdnetworks.core.emulator import Emulator
from cdnetworks.core.waiters import WaitFailedError
from cdnetworks.imagemanage import AsyncImageManageClient, ImageManageClient
from cdnetworks.imagemanage.emulator import ImageManageService
from tests.conftest import Mode

FAST: dict[str, Any] = {"poll_interval": 0.02, "max_interval": 0.05, "timeout": 10}
URL = "https://images.example.com/web.qcow2"


@pytest.fixture
def fast_emu() -> Emulator:
    return Emulator(services=[ImageManageService(build_seconds=0.05, preheat_step_seconds=0.02)])


def _images(mode: Mode, core: Any) -> Any:
    return AsyncImageManageClient(client=core) if mode.is_async else ImageManageClient(client=core)


def _collect(mode: Mode, images: Any, **kwargs: Any) -> list[Any]:
    if not mode.is_async:
        return list(images.iter_images(**kwargs))

    async def walk() -> list[Any]:
        return [image async for image in images.iter_images(**kwargs)]

    collected: list[Any] = mode.run(walk)
    return collected


def test_main_job_in_process(mode: Mode, fast_emu: Emulator) -> None:
    transport = fast_emu.async_transport() if mode.is_async else fast_emu.transport()
    images = _images(mode, mode.client(**fast_emu.client_kwargs(), transport=transport))
    created = mode.run(images.vmp_create_image, name="web", image_src_url=URL, ostype="linux")
    assert created.request_id
    image = mode.run(images.wait_for_image, created.id, **FAST)
    assert (image.id, image.state, image.type) == (created.id, "ACTIVE", "CUSTOM")
    mode.run(images.deploy_vmp_image_preheating, image_id=created.id, node_names=["n-1", "n-2"])
    states = mode.run(images.wait_for_preheating, created.id, ["n-1", "n-2"], **FAST)
    assert dict(states) == {"n-1": "SUCCESS", "n-2": "SUCCESS"}
    everything = _collect(mode, images, page_size=5, sort_key="name", sort_dir="asc")
    assert len(everything) == 13
    assert [i.name for i in everything] == sorted(i.name for i in everything)
    assert isinstance(everything[0].size, int)
    mode.run(images.vmp_remove_image, image_id=created.id)
    assert created.id not in {i.id for i in _collect(mode, images)}


def test_typed_errors_from_the_emulator(mode: Mode, fast_emu: Emulator) -> None:
    transport = fast_emu.async_transport() if mode.is_async else fast_emu.transport()
    images = _images(mode, mode.client(**fast_emu.client_kwargs(), transport=transport))
    public = _collect(mode, images, type="COMMON", limit=1)[0].id
    with pytest.raises(PermissionDeniedError):
        mode.run(images.vmp_remove_image, image_id=public)
    with pytest.raises(BusinessError) as caught:
        mode.run(images.deploy_vmp_image_preheating, image_id=public, node_names=["n-1"])
    assert caught.value.code == "OperationDenied"
    fast_emu.service("imagemanage").mark_broken("https://images.example.com/bad.qcow2")
    bad = mode.run(
        images.vmp_create_image,
        name="bad",
        image_src_url="https://images.example.com/bad.qcow2",
        ostype="linux",
    )
    with pytest.raises(WaitFailedError):
        mode.run(images.wait_for_image, bad.id, **FAST)


def test_failed_node_fails_the_preheating_waiter_over_sockets(fast_emu: Emulator) -> None:
    fast_emu.service("imagemanage").mark_node_broken("n-bad")
    with (
        fast_emu.serve() as server,
        ImageManageClient(**server.client_kwargs(), load_entry_points=False) as images,
    ):
        image_id = images.vmp_create_image(name="web", image_src_url=URL, ostype="linux").id
        images.wait_for_image(image_id, **FAST)
        images.deploy_vmp_image_preheating(image_id=image_id, node_names=["n-ok", "n-bad"])
        with pytest.raises(WaitFailedError, match="n-bad"):
            images.wait_for_preheating(image_id, **FAST)
