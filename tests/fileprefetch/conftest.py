"""Fixtures for the file-prefetch tests (``api``, the respx router, is the suite's).

``prefetch`` is a ``FilePrefetchClient`` or an ``AsyncFilePrefetchClient`` (per ``mode``) over
the core test client, for wire tests; ``on_emu`` is the same over the in-process emulator, whose
clock is frozen: ``emu.advance()`` alone moves prefetch tasks along, so waits need no sleeping.
"""

from __future__ import annotations

from typing import Any

import pytest

from cdnetworks.core.emulator import Emulator
from cdnetworks.fileprefetch import AsyncFilePrefetchClient, FilePrefetchClient
from cdnetworks.fileprefetch.emulator import FilePrefetchService
from tests.conftest import Mode, frozen_emulator, on_emulator

#: How long an emulated prefetch takes (``wait`` for a third of it, then ``run``).
TASK_SECONDS = 0.3
CLIENTS = (FilePrefetchClient, AsyncFilePrefetchClient)


@pytest.fixture
def prefetch(mode: Mode) -> Any:
    return CLIENTS[mode.is_async](client=mode.client())


@pytest.fixture
def emu() -> Emulator:
    return frozen_emulator(FilePrefetchService(task_seconds=TASK_SECONDS))


@pytest.fixture
def on_emu(mode: Mode, emu: Emulator) -> Any:
    return on_emulator(mode, emu, CLIENTS)
