"""Fault injection: latency, dropped connections, 5xx bursts, HTML/empty/malformed bodies."""

from __future__ import annotations

import contextlib
import time

import pytest

from cdnetworks.core import (
    DecodeError,
    ProtocolError,
    RetryPolicy,
    RetryQuota,
    ServerError,
    Timeout,
    TransportTimeoutError,
)
from cdnetworks.core.emulator import (
    Drop,
    Empty,
    Emulator,
    ErrorBurst,
    FaultRule,
    Html,
    Latency,
    Malformed,
)
from tests.conftest import Mode

from .conftest import NO_RETRY, Wire, make_emulator

RETRY = RetryPolicy(max_attempts=4, base_delay=0, max_delay=0, quota=RetryQuota())
CREATE = {"name": "web", "imageSrcUrl": "https://x/web.qcow2", "ostype": "linux"}


def test_error_burst_on_given_call_is_retried_through(mode: Mode, emu: Emulator) -> None:
    emu.faults.add(ErrorBurst(503, length=2), calls=[1])
    wire = Wire(mode, emu, retry=RETRY)
    result = wire("GET", "/vmp/images")
    assert result.status_code == 200
    assert [e.status for e in emu.exchanges] == [503, 503, 200]
    assert [e.faults for e in emu.exchanges] == [("ErrorBurst",), ("ErrorBurst",), ()]


def test_error_burst_body_and_retry_after(mode: Mode, emu: Emulator) -> None:
    emu.faults.add(ErrorBurst(502, retry_after=7), calls=[1])
    with pytest.raises(ServerError) as caught:
        Wire(mode, emu, retry=NO_RETRY)("GET", "/vmp/images")
    error = caught.value
    assert (error.status_code, error.code, error.retry_after) == (502, "BadGateway", 7.0)
    assert error.request_id


def test_drop_before_processing_is_retried_for_get(mode: Mode, emu: Emulator) -> None:
    emu.faults.add(Drop(), calls=[1])
    assert Wire(mode, emu, retry=RETRY)("GET", "/vmp/images").status_code == 200
    assert [e.status for e in emu.exchanges] == [None, 200]


def test_drop_after_processing_leaves_the_effect(mode: Mode, emu: Emulator) -> None:
    # The classic trap: the image was created, the answer lost. POST is not retried blindly.
    emu.faults.add(Drop(after_processing=True), calls=[1], actions=["VMPCreateImage"])
    wire = Wire(mode, emu, retry=RETRY)
    with pytest.raises(ProtocolError) as caught:
        wire("POST", "/vmp/images", json=CREATE)
    assert caught.value.attempts == 1
    assert [i["name"] for i in wire.images(type="CUSTOM")] == ["web"]


@pytest.mark.parametrize(
    ("fault", "status", "excerpt"),
    [
        (Html(), 502, "<html>"),
        (Html(504), 504, "504 Gateway Timeout"),
        (Empty(), 502, "empty body"),
    ],
)
def test_proxy_pages_become_server_errors(
    mode: Mode, emu: Emulator, fault: Html | Empty, status: int, excerpt: str
) -> None:
    emu.faults.add(fault, calls=[1])
    with pytest.raises(ServerError) as caught:
        Wire(mode, emu, retry=NO_RETRY)("GET", "/vmp/images")
    assert caught.value.status_code == status
    assert caught.value.code is None
    assert excerpt in caught.value.message
    assert caught.value.request_id


def test_malformed_json_after_processing(mode: Mode, emu: Emulator) -> None:
    emu.faults.add(Malformed(), calls=[1])
    with pytest.raises(DecodeError) as caught:
        Wire(mode, emu, retry=NO_RETRY)("POST", "/vmp/images", json=CREATE)
    assert caught.value.status_code == 200
    assert caught.value.body.startswith(b'{"id"')
    assert len(Wire(mode, emu)("GET", "/vmp/images", params={"type": "CUSTOM"}).data["images"]) == 1


def test_latency_delays_the_answer(mode: Mode, emu: Emulator) -> None:
    emu.faults.add(Latency(0.05), calls=[1])
    emu.faults.add(Latency(0.05), calls=[1])  # latencies add up
    wire = Wire(mode, emu, retry=NO_RETRY)
    started = time.monotonic()
    wire("GET", "/vmp/images")
    assert time.monotonic() - started >= 0.1


def test_latency_beyond_the_read_timeout_times_out(mode: Mode, emu: Emulator) -> None:
    emu.faults.add(Latency(5.0), calls=[1])
    wire = Wire(mode, emu, retry=NO_RETRY, timeout=Timeout(read=0.05))
    started = time.monotonic()
    with pytest.raises(TransportTimeoutError):
        wire("GET", "/vmp/images")
    assert time.monotonic() - started < 2.0


def test_rate_is_reproducible_from_the_seed() -> None:
    def faulted(seed: int) -> list[int]:
        emu = make_emulator(seed=seed, faults=[FaultRule(ErrorBurst(500), rate=0.3)])
        wire = Wire(Mode("sync", None), emu, retry=NO_RETRY)
        for _ in range(60):
            with contextlib.suppress(ServerError):
                wire("GET", "/vmp/images")
        return [e.number for e in emu.exchanges if e.status == 500]

    first = faulted(11)
    assert first == faulted(11)
    assert first != faulted(12)
    assert 8 <= len(first) <= 30  # about 30 % of 60


def test_actions_filter_counts_only_matching_calls(mode: Mode, emu: Emulator) -> None:
    emu.faults.add(ErrorBurst(503), calls=[2], actions=["vmpcreateimage"])  # the seed's spelling
    wire = Wire(mode, emu, retry=NO_RETRY)
    wire("GET", "/vmp/images")
    wire("POST", "/vmp/images", json=CREATE)
    wire("GET", "/vmp/images")
    with pytest.raises(ServerError):
        wire("POST", "/vmp/images", json=CREATE)
    assert [e.status for e in emu.exchanges] == [200, 200, 200, 503]


def test_faults_by_route_template_and_clear(mode: Mode, emu: Emulator) -> None:
    emu.faults.add(ErrorBurst(500), rate=1.0, actions=["GET /vmp/images"])
    wire = Wire(mode, emu, retry=NO_RETRY)
    with pytest.raises(ServerError):
        wire("GET", "/vmp/images")
    emu.faults.clear()
    assert emu.faults.rules == ()
    assert wire("GET", "/vmp/images").status_code == 200


def test_fault_rule_checks_its_rate() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultRule(Latency(1), rate=1.5)
