"""Fixtures for the cache-refresh tests: a respx router in front of the API, and an emulator.

``refresh`` is a ``CacheRefreshClient`` or an ``AsyncCacheRefreshClient`` (per ``mode``) over
the core test client, for wire tests; ``on_emu`` is the same over the in-process emulator, whose
clock is frozen: ``emu.advance()`` alone moves purge tasks along, so waits need no sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import respx

from cdnetworks.cacherefresh import AsyncCacheRefreshClient, CacheRefreshClient
from cdnetworks.cacherefresh.emulator import CacheRefreshService
from cdnetworks.core import DEFAULT_ENDPOINT
from cdnetworks.core.emulator import Emulator
from tests.conftest import Mode

#: How long an emulated purge takes (``wait`` for a third of it, then ``run``).
TASK_SECONDS = 0.3


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """Every request to the default endpoint goes to this router; nothing leaves the process."""
    with respx.mock(base_url=DEFAULT_ENDPOINT, assert_all_called=False) as router:
        yield router


def product_client(mode: Mode, core: Any) -> Any:
    return (
        AsyncCacheRefreshClient(client=core) if mode.is_async else CacheRefreshClient(client=core)
    )


@pytest.fixture
def refresh(mode: Mode) -> Any:
    return product_client(mode, mode.client())


@pytest.fixture
def emu() -> Emulator:
    frozen = time.time()
    return Emulator(services=[CacheRefreshService(task_seconds=TASK_SECONDS)], clock=lambda: frozen)


@pytest.fixture
def on_emu(mode: Mode, emu: Emulator) -> Any:
    transport = emu.async_transport() if mode.is_async else emu.transport()
    return product_client(mode, mode.client(**emu.client_kwargs(), transport=transport))
