"""The shared limiter against a real redis-server: the local limiter's semantics, shared back-off,
keys per account, the server's clock, and calls through the clients against the emulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from cdnetworks.core import RateLimiter, ThrottledError
from cdnetworks.core.emulator import Emulator, EmulatorServer, ThrottleLimits
from cdnetworks.core.emulator.faults import ErrorBurst, FaultRule
from cdnetworks.core.fleet import SharedRateLimiter
from tests.conftest import ACCESS_KEY, CANARY_SECRET, Mode
from tests.fleet.redis_server import RedisServer

pytestmark = pytest.mark.redis


def bound(server: RedisServer, prefix: str, *args: Any, **kwargs: Any) -> SharedRateLimiter:
    return SharedRateLimiter(server.url, *args, prefix=prefix, **kwargs)._for_client(
        ACCESS_KEY, 1.0
    )


def test_same_waits_as_the_local_limiter(redis_server: RedisServer, prefix: str) -> None:
    """Account window, per-action windows and the burst bucket decide as `RateLimiter` does."""
    shared = bound(redis_server, prefix, 6, 1.0, burst=3, per_action=(4, 1.0))
    local = RateLimiter(6, 1.0, burst=3, per_action=(4, 1.0))
    actions = ["a", "a", "b", "a", "a", "b", "b", "a"]
    got = [shared.reserve(x) for x in actions]
    want = [local.reserve(x) for x in actions]
    assert got == pytest.approx(want, abs=0.05)
    assert max(want) > 0.5  # the sequence did hit the windows


def test_limiters_of_one_account_share_windows_other_accounts_do_not(
    redis_server: RedisServer, prefix: str
) -> None:
    one = bound(redis_server, prefix, 3, 10.0)
    two = bound(redis_server, prefix, 3, 10.0)  # another worker, same account
    assert [one.reserve(), two.reserve(), one.reserve()] == pytest.approx([0, 0, 0], abs=0.05)
    assert two.reserve() > 9  # the window is full for everyone of the account
    other = SharedRateLimiter(redis_server.url, 3, 10.0, prefix=prefix)._for_client("AK-2", 1.0)
    assert other.reserve() == pytest.approx(0, abs=0.05)


def test_keys_are_the_hash_of_the_access_key_and_hold_no_secret(
    redis_server: RedisServer, prefix: str
) -> None:
    limiter = bound(redis_server, prefix, 3, 10.0, per_action=(2, 10.0))
    limiter.reserve("GET /vmp/images")
    limiter.pause(1)
    store = redis.Redis.from_url(redis_server.url, decode_responses=True)
    keys = list(store.scan_iter(f"{prefix}:*"))
    assert keys and all(k.startswith(f"{prefix}:{{") for k in keys)
    dump = " ".join(keys)
    for key in keys:
        kind = store.type(key)
        if kind == "string":
            dump += str(store.get(key))
        elif kind == "hash":
            dump += str(store.hgetall(key))
        elif kind == "zset":
            dump += str(store.zrange(key, 0, -1, withscores=True))
    assert ACCESS_KEY not in dump and CANARY_SECRET not in dump
    store.close()


def test_decisions_use_the_servers_clock(
    redis_server: RedisServer, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose clock is an hour off still gets the same decisions."""
    first = bound(redis_server, prefix, 2, 5.0)
    assert first.reserve() == pytest.approx(0, abs=0.05)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    skewed = bound(redis_server, prefix, 2, 5.0)
    assert skewed.reserve() == pytest.approx(0, abs=0.05)
    assert 4.5 < skewed.reserve() <= 5.0


def test_a_pause_is_seen_by_every_worker_even_one_started_later(
    redis_server: RedisServer, prefix: str
) -> None:
    bound(redis_server, prefix, 100, 1.0).pause(1.5)
    later = bound(redis_server, prefix, 100, 1.0)  # a worker that starts after the 429
    assert 1.3 < later.reserve() <= 1.5
    started = time.monotonic()
    bound(redis_server, prefix, 100, 1.0).acquire("x")
    assert time.monotonic() - started > 1.0


def test_a_worker_already_waiting_honours_a_pause_that_starts_meanwhile(
    redis_server: RedisServer, prefix: str
) -> None:
    waiting = bound(redis_server, prefix, 1, 0.5)
    waiting.reserve()  # the window is now full for 0.5 s
    import threading

    threading.Timer(0.2, lambda: bound(redis_server, prefix, 1, 0.5).pause(1.0)).start()
    started = time.monotonic()
    waiting.acquire()  # booked for t=0.5, but the pause from t=0.2 lasts until t=1.2
    assert time.monotonic() - started >= 1.15


@pytest.fixture
def throttled() -> Iterator[tuple[Emulator, EmulatorServer]]:
    emu = Emulator(throttle=ThrottleLimits(per_account=10, per_action=10, window=0.5))
    with emu.serve() as server:
        yield emu, server


def test_two_clients_sharing_the_store_stay_under_the_servers_limit(
    mode: Mode, redis_server: RedisServer, prefix: str, throttled: tuple[Emulator, EmulatorServer]
) -> None:
    emu, server = throttled
    kwargs = server.client_kwargs()
    # Two limiter objects (as two processes would have), one store.
    clients = [
        mode.client(
            **kwargs,
            max_attempts=1,
            rate_limiter=SharedRateLimiter(redis_server.url, 10, 0.75, prefix=prefix),
        )
        for _ in range(2)
    ]
    refused = 0
    for i in range(30):
        try:
            mode.run(clients[i % 2].invoke, "GET", "/vmp/images", params={"limit": 1})
        except ThrottledError:
            refused += 1
    assert refused == 0
    assert not [e for e in emu.exchanges if e.status == 429]


def test_a_retry_after_answer_pauses_the_other_clients(
    mode: Mode, redis_server: RedisServer, prefix: str
) -> None:
    emu = Emulator(faults=[FaultRule(ErrorBurst(status=429, retry_after=1), calls=[2])])
    with emu.serve() as server:
        kwargs = server.client_kwargs()
        hit = mode.client(
            **kwargs,
            max_attempts=1,
            rate_limiter=SharedRateLimiter(redis_server.url, prefix=prefix),
        )
        other = mode.client(
            **kwargs,
            max_attempts=1,
            rate_limiter=SharedRateLimiter(redis_server.url, prefix=prefix),
        )
        mode.run(hit.invoke, "GET", "/vmp/images")
        with pytest.raises(ThrottledError):
            mode.run(hit.invoke, "GET", "/vmp/images")
        started = time.monotonic()
        mode.run(other.invoke, "GET", "/vmp/images")
        assert time.monotonic() - started >= 0.9
