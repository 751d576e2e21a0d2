"""Issue 19, defect 9: a waiter for an image that does not exist ends, typed, within its grace."""

from __future__ import annotations

import time
from typing import Any

import pytest

from cdnetworks.core import ValidationError
from cdnetworks.core.emulator import Emulator
from cdnetworks.core.waiters import WaitFailedError, WaitNeverSeenError
from cdnetworks.imagemanage import AsyncImageManageClient, ImageManageClient
from cdnetworks.imagemanage.emulator import ImageManageService
from tests.conftest import Mode


def _images(mode: Mode, emulator: Emulator) -> Any:
    transport = emulator.async_transport() if mode.is_async else emulator.transport()
    core = mode.client(**emulator.client_kwargs(), transport=transport)
    return AsyncImageManageClient(client=core) if mode.is_async else ImageManageClient(client=core)


def test_a_missing_image_ends_after_the_missing_polls(mode: Mode) -> None:
    images = _images(mode, Emulator())
    started = time.monotonic()
    with pytest.raises(WaitNeverSeenError, match="img-does-not-exist was never seen") as caught:
        mode.run(images.wait_for_image, "img-does-not-exist", poll_interval=0.02, timeout=30)
    assert time.monotonic() - started < 5
    assert isinstance(caught.value, WaitFailedError)  # existing handlers keep catching it
    assert caught.value.polls == 3


def test_a_missing_image_ends_within_the_grace_when_polls_are_slow(mode: Mode) -> None:
    images = _images(mode, Emulator())
    started = time.monotonic()
    with pytest.raises(WaitNeverSeenError, match="never_seen_grace") as caught:
        mode.run(
            images.wait_for_image,
            "img-does-not-exist",
            poll_interval=0.3,
            never_seen_grace=0.2,
            timeout=30,
        )
    elapsed = time.monotonic() - started
    # The second poll (0.3 s after the first) is past the 0.2 s grace: two polls, not three.
    assert caught.value.polls == 2
    assert elapsed < 3


def test_an_image_seen_once_then_gone_is_not_never_seen() -> None:
    mode = Mode("sync", None)
    emulator = Emulator(services=[ImageManageService(build_seconds=0.01)])
    images = _images(mode, emulator)
    created = mode.run(
        images.vmp_create_image,
        name="short-lived",
        image_src_url="https://images.example.com/a.qcow2",
        ostype="linux",
    )
    mode.run(images.wait_for_image, created.id, poll_interval=0.02, timeout=30)
    remover = ImageManageClient(
        **emulator.client_kwargs(), transport=emulator.transport(), load_entry_points=False
    )
    seen: list[Any] = []

    def progress(report: Any) -> None:
        seen.append(report)
        if len(seen) == 1:  # listed once, then removed while the wait goes on
            remover.vmp_remove_image(image_id=created.id)

    with pytest.raises(WaitFailedError) as caught:
        mode.run(
            images.wait_for_image,
            created.id,
            poll_interval=0.02,
            timeout=30,
            never_seen_grace=0.0,
            ready_states=("NEVER",),
            progress=progress,
        )
    remover.close()
    assert not isinstance(caught.value, WaitNeverSeenError)
    assert "was not listed" in str(caught.value)


def test_a_negative_grace_is_refused_before_polling() -> None:
    emulator = Emulator()
    with (
        ImageManageClient(
            **emulator.client_kwargs(), transport=emulator.transport(), load_entry_points=False
        ) as images,
        pytest.raises(ValidationError, match="never_seen_grace") as caught,
    ):
        images.wait_for_image("img-1", never_seen_grace=-1)
    assert caught.value.field == "never_seen_grace"
