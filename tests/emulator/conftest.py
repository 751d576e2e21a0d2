"""Helpers for the emulator tests: an emulator with a frozen clock and a raw wire driver.

The emulator's clock is frozen at the test's start (close to the real time the SDK signs with),
so ``emu.advance()`` alone moves time: builds finish and pre-warming advances without sleeping.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from cdnetworks.core import RetryPolicy, RetryQuota
from cdnetworks.core.emulator import Emulator
from cdnetworks.imagemanage.emulator import ImageManageService
from tests.conftest import Mode

NO_RETRY = RetryPolicy(max_attempts=1, quota=RetryQuota())


def make_emulator(**kwargs: Any) -> Emulator:
    frozen = time.time()
    kwargs.setdefault("services", [ImageManageService(build_seconds=30, preheat_step_seconds=10)])
    kwargs.setdefault("clock", lambda: frozen)
    return Emulator(**kwargs)


@pytest.fixture
def emu() -> Emulator:
    return make_emulator()


class Wire:
    """Raw API calls (``Client.invoke``) against an emulator, sync or async per ``mode``."""

    def __init__(self, mode: Mode, emu: Emulator, **client_kwargs: Any) -> None:
        self.mode = mode
        transport = emu.async_transport() if mode.is_async else emu.transport()
        options = {**emu.client_kwargs(), **client_kwargs}
        self.client = mode.client(transport=transport, **options)

    def __call__(self, method: str, uri: str, **kwargs: Any) -> Any:
        return self.mode.run(self.client.invoke, method, uri, **kwargs)

    def images(self, **params: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self("GET", "/vmp/images", params=params).data["images"]
        return result


@pytest.fixture
def wire(mode: Mode, emu: Emulator) -> Wire:
    return Wire(mode, emu, retry=NO_RETRY)
