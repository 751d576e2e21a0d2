"""The opt-in client-side rate limiter keeps a caller under the emulator's throttling.

The emulator enforces the documented limits over a sliding window (300 requests per 5 minutes
per account, 30 per action). Scaled down here to 10 per 0.5 s so the test takes about a second:
without a limiter a caller collects 429s; with ``RateLimiter(10, 0.5)`` (plus headroom for the
time a request takes to arrive) it collects none and simply takes longer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from cdnetworks.core import AsyncClient, RateLimiter, ThrottledError
from cdnetworks.core.emulator import Emulator, EmulatorServer, ThrottleLimits
from tests.conftest import Mode

# Slow: rate-limit windows measured in real time.
# Left out of the fast subset (pytest -m "not slow").
pytestmark = pytest.mark.slow

LIMIT, WINDOW = 10, 0.5
#: The limiter counts when a request leaves, the server when it arrives: headroom for a slow CI.
HEADROOM = 0.15
CALLS = 3 * LIMIT


@pytest.fixture
def throttled_server() -> Iterator[tuple[Emulator, EmulatorServer]]:
    emu = Emulator(throttle=ThrottleLimits(per_account=LIMIT, per_action=LIMIT, window=WINDOW))
    with emu.serve() as server:
        yield emu, server


def _throttled(emu: Emulator) -> int:
    return sum(1 for e in emu.exchanges if e.status == 429)


def _calls(mode: Mode, client: Any) -> int:
    """Make the calls; the number refused with 429 (each must say when to come back)."""
    waits: list[float | None] = []
    for _ in range(CALLS):
        try:
            mode.run(client.invoke, "GET", "/vmp/images", params={"limit": 1})
        except ThrottledError as exc:
            waits.append(exc.retry_after)
    assert None not in waits
    return len(waits)


def test_without_a_limiter_the_caller_collects_429s(
    mode: Mode, throttled_server: tuple[Emulator, EmulatorServer]
) -> None:
    emu, server = throttled_server
    client = mode.client(**server.client_kwargs(), max_attempts=1)
    refused = _calls(mode, client)
    assert refused >= CALLS - 2 * LIMIT  # everything past the first window's worth, at least
    assert _throttled(emu) == refused


def test_with_a_limiter_the_caller_stays_under_the_limit(
    mode: Mode, throttled_server: tuple[Emulator, EmulatorServer]
) -> None:
    emu, server = throttled_server
    limiter = RateLimiter(LIMIT, WINDOW + HEADROOM)
    client = mode.client(**server.client_kwargs(), max_attempts=1, rate_limiter=limiter)
    started = time.monotonic()
    assert _calls(mode, client) == 0
    assert _throttled(emu) == 0
    # Three windows' worth of calls need at least two full windows of waiting.
    assert time.monotonic() - started >= 2 * WINDOW


def test_one_limiter_shared_by_concurrent_tasks(
    throttled_server: tuple[Emulator, EmulatorServer],
) -> None:
    """Twenty tasks sharing one limiter (and one client) still stay under the limit."""
    emu, server = throttled_server
    limiter = RateLimiter(LIMIT, WINDOW + HEADROOM)
    refused = 0

    async def main() -> None:
        nonlocal refused
        async with AsyncClient(
            **server.client_kwargs(), max_attempts=1, rate_limiter=limiter, load_entry_points=False
        ) as client:

            async def one() -> None:
                nonlocal refused
                try:
                    await client.invoke("GET", "/vmp/images", params={"limit": 1})
                except ThrottledError:
                    refused += 1

            async with anyio.create_task_group() as tg:
                for _ in range(CALLS):
                    tg.start_soon(one)

    anyio.run(main)
    assert refused == 0
    assert _throttled(emu) == 0
    assert len(emu.exchanges) == CALLS


@pytest.mark.parametrize(("requests", "per", "burst"), [(10, 1.0, None), (10, 1.0, 3), (5, 0.2, 1)])
def test_no_window_ever_holds_more_than_the_limit(
    requests: int, per: float, burst: int | None
) -> None:
    """Whatever the burst, the send times a limiter hands out never put more than ``requests``
    into any ``per``-second window (a bucket alone would allow a burst plus the refill)."""
    limiter = RateLimiter(requests, per, burst=burst)
    now = time.monotonic()
    slots = sorted(now + limiter.reserve() for _ in range(5 * requests))
    for i, start in enumerate(slots):
        inside = [s for s in slots[i:] if s < start + per - 1e-3]
        assert len(inside) <= requests


@pytest.fixture
def action_throttled_server() -> Iterator[tuple[Emulator, EmulatorServer]]:
    """The documented shape: the per-action limit (30) is a tenth of the account's (300)."""
    emu = Emulator(throttle=ThrottleLimits(per_account=4 * LIMIT, per_action=LIMIT, window=WINDOW))
    with emu.serve() as server:
        yield emu, server


def test_the_per_action_limit_is_kept_too(
    mode: Mode, action_throttled_server: tuple[Emulator, EmulatorServer]
) -> None:
    emu, server = action_throttled_server
    account_only = RateLimiter(4 * LIMIT, WINDOW + HEADROOM)
    client = mode.client(**server.client_kwargs(), max_attempts=1, rate_limiter=account_only)
    assert _calls(mode, client) > 0  # one action past its own limit: refused
    emu.reset()
    both = RateLimiter(4 * LIMIT, WINDOW + HEADROOM, per_action=(LIMIT, WINDOW + HEADROOM))
    client = mode.client(**server.client_kwargs(), max_attempts=1, rate_limiter=both)
    assert _calls(mode, client) == 0
    assert _throttled(emu) == 0


def test_per_action_windows_are_separate() -> None:
    limiter = RateLimiter(100, 1.0, per_action=(2, 1.0))
    assert [limiter.reserve("A") for _ in range(2)] == [0.0, 0.0]
    assert limiter.reserve("B") == 0.0  # another action has its own window
    assert limiter.reserve("A") == pytest.approx(1.0, abs=0.05)  # A's third waits a window
    assert limiter.reserve() == 0.0  # no action given: the account window only
    assert "per action 2 per 1 s" in repr(limiter)
    default = RateLimiter.cdnetworks_default()
    assert default.per_action == (30, 305.0)
