"""Redis killed mid-run and restarted, or too slow: fail closed sends nothing and raises the typed
error; fail open goes on under the local limiter with one warning per outage; both come back."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Iterator

import pytest
import redis

from cdnetworks.core import RateLimitBackendError
from cdnetworks.core.emulator import Emulator, EmulatorServer
from cdnetworks.core.fleet import SharedRateLimiter
from cdnetworks.core.fleet.connection import PROBE_INTERVAL
from tests.conftest import Mode
from tests.fleet.redis_server import RedisServer

pytestmark = pytest.mark.redis
PASSWORD = "redis-CANARY-pw-5e1f"


@pytest.fixture
def secured_redis(tmp_path: object) -> Iterator[RedisServer]:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    server = RedisServer(tmp_path, password=PASSWORD).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulated() -> Iterator[tuple[Emulator, EmulatorServer]]:
    emu = Emulator()
    with emu.serve() as server:
        yield emu, server


def booked(server: RedisServer, prefix: str) -> int:
    store = redis.Redis.from_url(server.url)
    try:
        return len(list(store.scan_iter(f"{prefix}:*")))
    finally:
        store.close()


def test_fail_closed_raises_sends_nothing_and_recovers(
    mode: Mode,
    secured_redis: RedisServer,
    emulated: tuple[Emulator, EmulatorServer],
    prefix: str,
    log_lines: list[str],
) -> None:
    emu, server = emulated
    limiter = SharedRateLimiter(
        secured_redis.url, 100, 1.0, prefix=prefix, on_backend_error="closed", timeout=0.5
    )
    client = mode.client(**server.client_kwargs(), rate_limiter=limiter)
    mode.run(client.invoke, "GET", "/vmp/images")
    sent = len(emu.exchanges)
    secured_redis.kill()
    for _ in range(3):
        with pytest.raises(RateLimitBackendError) as caught:
            mode.run(client.invoke, "GET", "/vmp/images")
        assert caught.value.action == "GET /vmp/images"
        assert not caught.value.request_sent
        assert PASSWORD not in str(caught.value) and "***" in caught.value.backend
    assert len(emu.exchanges) == sent  # nothing was sent
    secured_redis.start()
    time.sleep(PROBE_INTERVAL + 0.1)
    mode.run(client.invoke, "GET", "/vmp/images")
    assert len(emu.exchanges) == sent + 1
    assert booked(secured_redis, prefix) > 0  # shared again, in the restarted store
    assert not any(PASSWORD in line for line in log_lines)


def test_fail_open_goes_on_locally_with_one_warning_and_recovers(
    mode: Mode,
    secured_redis: RedisServer,
    emulated: tuple[Emulator, EmulatorServer],
    prefix: str,
    caplog: pytest.LogCaptureFixture,
    log_lines: list[str],
) -> None:
    emu, server = emulated
    limiter = SharedRateLimiter(secured_redis.url, 100, 1.0, prefix=prefix, timeout=0.5)
    client = mode.client(**server.client_kwargs(), rate_limiter=limiter)
    mode.run(client.invoke, "GET", "/vmp/images")
    secured_redis.kill()
    with caplog.at_level(logging.INFO, logger="cdnetworks.fleet"):
        for _ in range(2):
            for _ in range(5):
                mode.run(client.invoke, "GET", "/vmp/images")
            time.sleep(PROBE_INTERVAL + 0.05)  # a probe is due: it fails, still one warning
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "falls back to its own limiter" in warnings[0].getMessage()
        assert len(emu.exchanges) == 11
        secured_redis.start()
        time.sleep(PROBE_INTERVAL + 0.1)
        mode.run(client.invoke, "GET", "/vmp/images")
        assert booked(secured_redis, prefix) > 0
        assert any("answers again" in r.getMessage() for r in caplog.records)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    assert not any(PASSWORD in line for line in log_lines)
    assert not any(PASSWORD in r.getMessage() for r in caplog.records)


def test_a_store_that_hangs_costs_a_bounded_wait(
    secured_redis: RedisServer, emulated: tuple[Emulator, EmulatorServer], prefix: str
) -> None:
    emu, server = emulated
    from cdnetworks.core import Client

    limiter = SharedRateLimiter(
        secured_redis.url, 100, 1.0, prefix=prefix, on_backend_error="closed", timeout=0.3
    )
    with Client(**server.client_kwargs(), load_entry_points=False, rate_limiter=limiter) as c:
        c.invoke("GET", "/vmp/images")
        assert secured_redis.process is not None
        secured_redis.process.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(RateLimitBackendError, match=r"within 0\.3 s"):
                c.invoke("GET", "/vmp/images")
            assert time.monotonic() - started < 1.5
        finally:
            secured_redis.process.send_signal(signal.SIGCONT)
        assert len(emu.exchanges) == 1
