"""Fixtures for the cache-refresh tests (``api``, the respx router, is the suite's).

``refresh`` is a ``CacheRefreshClient`` or an ``AsyncCacheRefreshClient`` (per ``mode``) over
the core test client, for wire tests; ``on_emu`` is the same over the in-process emulator, whose
clock is frozen: ``emu.advance()`` alone moves purge tasks along, so waits need no sleeping.
"""

from __future__ import annotations

from typing import Any

import pytest

from cdnetworks.cacherefresh import AsyncCacheRefreshClient, CacheRefreshClient
from cdnetworks.cacherefresh.emulator import CacheRefreshService
from cdnetworks.core.emulator import Emulator
from tests.conftest import Mode, frozen_emulator, on_emulator

#: How long an emulated purge takes (``wait`` for a third of it, then ``run``).
TASK_SECONDS = 0.3
CLIENTS = (CacheRefreshClient, AsyncCacheRefreshClient)


@pytest.fixture
def refresh(mode: Mode) -> Any:
    return CLIENTS[mode.is_async](client=mode.client())


@pytest.fixture
def emu() -> Emulator:
    return frozen_emulator(CacheRefreshService(task_seconds=TASK_SECONDS))


@pytest.fixture
def on_emu(mode: Mode, emu: Emulator) -> Any:
    return on_emulator(mode, emu, CLIENTS)
