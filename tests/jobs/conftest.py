"""Fixtures for the job tests: an emulator on the real clock whose tasks finish fast.

Jobs time their lookups with the wall clock, so the emulator keeps real time; its purge and
prefetch tasks take `TASK_SECONDS`. Clients get their own generous rate limiter, so the
process-wide default (30 calls of an action per 5 minutes) never paces a test.
"""

from __future__ import annotations

from typing import Any

import pytest

from cdnetworks.cacherefresh import AsyncCacheRefreshClient, CacheRefreshClient
from cdnetworks.cacherefresh.emulator import CacheRefreshService
from cdnetworks.core import RateLimiter
from cdnetworks.core.emulator import Emulator
from cdnetworks.fileprefetch import AsyncFilePrefetchClient, FilePrefetchClient
from cdnetworks.fileprefetch.emulator import FilePrefetchService
from tests.conftest import Mode

TASK_SECONDS = 0.3
#: Polls of a job in the tests: fast, growing as in real runs.
FAST = {"poll_interval": 0.05, "max_interval": 0.2}
REFRESH = (CacheRefreshClient, AsyncCacheRefreshClient)
PREFETCH = (FilePrefetchClient, AsyncFilePrefetchClient)


def job_emulator(**kwargs: Any) -> Emulator:
    return Emulator(
        services=[
            CacheRefreshService(task_seconds=TASK_SECONDS),
            FilePrefetchService(task_seconds=TASK_SECONDS),
        ],
        **kwargs,
    )


def over(mode: Mode, emu: Emulator, classes: tuple[type, type], **kwargs: Any) -> Any:
    transport = emu.async_transport() if mode.is_async else emu.transport()
    kwargs.setdefault("rate_limiter", RateLimiter(10_000, 1.0))
    core = mode.client(**emu.client_kwargs(), transport=transport, **kwargs)
    return classes[mode.is_async](client=core)


@pytest.fixture
def emu() -> Emulator:
    return job_emulator()


@pytest.fixture
def refresh(mode: Mode, emu: Emulator) -> Any:
    return over(mode, emu, REFRESH)


@pytest.fixture
def prefetch(mode: Mode, emu: Emulator) -> Any:
    return over(mode, emu, PREFETCH)


def calls_of(emu: Emulator, action: str) -> int:
    return sum(1 for e in emu.exchanges if e.action == action)


def entries(emu: Emulator, product: str = "cacherefresh") -> dict[str, int]:
    """How many times the service was asked for each target."""
    counts: dict[str, int] = {}
    for entry in emu.service(product).board.entries:
        counts[entry.target] = counts.get(entry.target, 0) + 1
    return counts
