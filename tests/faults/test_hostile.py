"""Hostile servers on loopback: trickling answers, oversized bodies, gzip bombs, bad dates, and a
client shared across ``os.fork()``. Each case with ``Client`` and ``AsyncClient``."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import json
import os
import time
import tracemalloc
import warnings
from typing import Any

import pytest

from cdnetworks.core import (
    AsyncClient,
    Client,
    DecodeError,
    ResponseTooLargeError,
    Timeout,
    TransportTimeoutError,
)
from tests.conftest import CANARY_SECRET, Mode

from .cases import OK_BODY
from .server import Big, Respond, Trickle, Verified, fault_server

# Slow: real-time bounds and child processes.
# Left out of the fast subset (pytest -m "not slow").
pytestmark = pytest.mark.slow

TOTAL = 2.0
#: What the issue allows past ``total``; the measured overrun is usually a few milliseconds.
GRACE = 1.0


@pytest.mark.parametrize("body_only", [False, True], ids=["head", "body"])
def test_total_bounds_a_trickling_answer(mode: Mode, body_only: bool) -> None:
    # Each byte comes well within the read timeout, so only the total can end the call.
    with fault_server(Trickle(0.2, body_only=body_only)) as server:
        client = mode.client(endpoint=server.endpoint, timeout=Timeout(read=1.0, total=TOTAL))
        started = time.monotonic()
        with pytest.raises(TransportTimeoutError) as caught:
            mode.run(client.invoke, "GET", "/vmp/images")
        elapsed = time.monotonic() - started
    assert elapsed < TOTAL + GRACE, f"the call took {elapsed:.1f} s with total={TOTAL}"
    assert "total timeout" in str(caught.value)
    if body_only:  # the head had arrived: its status stays on the error
        assert caught.value.status_code == 200
        assert caught.value.request_id == "req-1"


def test_total_bounds_retries_and_their_waits(mode: Mode) -> None:
    # Three trickling attempts would take 3 x total; backoff waits count against it too.
    from cdnetworks.core import RetryPolicy, RetryQuota

    with fault_server(Respond(503), Trickle(0.2)) as server:
        client = mode.client(
            endpoint=server.endpoint,
            timeout=Timeout(read=1.0, total=TOTAL),
            retry=RetryPolicy(base_delay=0.3, max_delay=0.3, quota=RetryQuota()),
        )
        started = time.monotonic()
        with pytest.raises(TransportTimeoutError):
            mode.run(client.invoke, "GET", "/vmp/images")
    assert time.monotonic() - started < TOTAL + GRACE
    assert server.count() == 2


@pytest.mark.parametrize(
    ("reply", "what"),
    [
        (Big(8 * 1024 * 1024), "announced"),
        (Big(8 * 1024 * 1024, chunked=True), "chunked"),
        (Big(64 * 1024 * 1024, gzip=True), "gzip bomb"),
        (Big(64 * 1024 * 1024, gzip=True, chunked=True), "chunked gzip bomb"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_body_over_max_response_bytes_is_a_typed_error(mode: Mode, reply: Big, what: str) -> None:
    limit = 1024 * 1024
    with fault_server(reply) as server:
        client = mode.client(endpoint=server.endpoint, max_response_bytes=limit)
        with pytest.raises(ResponseTooLargeError) as caught:
            mode.run(client.invoke, "GET", "/vmp/images")
    error = caught.value
    assert (error.status_code, error.request_id, error.limit) == (200, "req-1", limit)
    assert error.attempts == 1 and server.count() == 1  # the same request would get the same
    assert "max_response_bytes" in str(error)
    if not reply.gzip:
        # Reading stopped near the bound: far less than the body left the server.
        assert not reply.sent or reply.sent[-1] < reply.size, what


def test_a_gzip_bomb_costs_about_the_bound_in_memory(mode: Mode) -> None:
    limit = 1024 * 1024
    # Each network read of this bomb inflates to tens of MiB if inflated whole.
    with fault_server(Big(256 * 1024 * 1024, gzip=True)) as server:
        client = mode.client(endpoint=server.endpoint, max_response_bytes=limit)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError):
                mode.run(client.invoke, "GET", "/vmp/images")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * limit, f"peak {peak / 2**20:.0f} MiB for a bound of 1 MiB"


def test_a_gzip_body_within_the_bound_is_inflated(mode: Mode) -> None:
    packed = gzip.compress(OK_BODY)
    headers = (("Content-Type", "application/json"), ("Content-Encoding", "gzip"))
    with fault_server(
        Respond(200, packed, headers), Respond(200, b"\x1f\x8bnot gzip", headers)
    ) as server:
        client = mode.client(endpoint=server.endpoint, max_response_bytes=len(OK_BODY))
        result = mode.run(client.invoke, "GET", "/vmp/images")
        assert result.data["data"]["images"] == [{"imageId": "img-1"}]
        with pytest.raises(DecodeError, match="Content-Encoding"):
            mode.run(client.invoke, "GET", "/vmp/images")


def test_a_body_within_max_response_bytes_is_read(mode: Mode) -> None:
    with fault_server(Respond(200, OK_BODY)) as server:
        client = mode.client(endpoint=server.endpoint, max_response_bytes=len(OK_BODY))
        result = mode.run(client.invoke, "GET", "/vmp/images")
    assert result.data["data"]["images"] == [{"imageId": "img-1"}]


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "64MiB"])
def test_max_response_bytes_must_be_a_positive_int(value: Any) -> None:
    from cdnetworks.core import ConfigurationError

    with pytest.raises(ConfigurationError, match="max_response_bytes"):
        Client(access_key="A", secret_key="B", max_response_bytes=value)


def _date(offset: float) -> tuple[tuple[str, str], ...]:
    return (
        ("Content-Type", "application/json"),
        ("Date", email.utils.formatdate(time.time() + offset, usegmt=True)),
    )


def test_one_bad_date_does_not_poison_the_signing_clock(mode: Mode, log_lines: list[str]) -> None:
    dated_1970 = Respond(200, OK_BODY, _date(-time.time()))
    ok = Verified(CANARY_SECRET, Respond(200, OK_BODY))
    with fault_server(dated_1970, dated_1970, ok, ok) as server:
        client = mode.client(endpoint=server.endpoint)
        for _ in range(4):  # the last two would get a 401 if the timestamp had been poisoned
            mode.run(client.invoke, "GET", "/vmp/images")
    stamps = [int(seen.headers["x-cnc-timestamp"]) for seen in server.seen]
    assert all(abs(stamp - time.time()) < 60 for stamp in stamps)
    refusals = [line for line in log_lines if "ignoring the Date header" in line]
    assert len(refusals) == 1, refusals


def test_a_single_plausible_but_wrong_date_is_not_adopted(mode: Mode) -> None:
    # Two hours off and within a day: plausible, but one 200 proves nothing about our timestamp.
    odd = Respond(200, OK_BODY, _date(7200))
    ok = Verified(CANARY_SECRET, Respond(200, OK_BODY))
    with fault_server(odd, ok) as server:
        client = mode.client(endpoint=server.endpoint)
        mode.run(client.invoke, "GET", "/vmp/images")
        mode.run(client.invoke, "GET", "/vmp/images")
    assert server.count() == 2 and not server.rejected


def test_a_stale_timestamp_401_still_corrects_the_clock(mode: Mode) -> None:
    # The server's clock is an hour ahead: its 401 proves our timestamp was judged and refused.
    ok = Verified(CANARY_SECRET, Respond(200, OK_BODY))
    with fault_server(ok, clock_offset=3600) as server:
        client = mode.client(endpoint=server.endpoint)
        mode.run(client.invoke, "POST", "/vmp/images", json={"name": "x"})
    assert server.count() == 2 and len(server.rejected) == 1


def _in_child(mode: Mode, client: Any, endpoint: str) -> str:
    """Fork; the child calls once with ``client`` and reports; return the child's report."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded fork" (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        report: dict[str, Any] = {}
        try:
            if mode.is_async:

                async def call() -> Any:
                    return await client.invoke("GET", "/vmp/images")

                result = asyncio.run(call())
            else:
                result = client.invoke("GET", "/vmp/images")
            report = {"pid": result.data["pid"]}
        except BaseException as exc:
            report = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            os.write(write_end, json.dumps(report).encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    return text


def test_a_forked_child_never_uses_the_parents_connections(mode: Mode) -> None:
    with fault_server(Respond(200, b'{"pid": "server"}')) as server:
        client = mode.client(endpoint=server.endpoint)
        mode.run(client.invoke, "GET", "/vmp/images")
        assert server.accepted == 1
        report = json.loads(_in_child(mode, client, server.endpoint))
        assert report == {"pid": "server"}, report
        # The child opened its own connection; the parent still has (and reuses) its own.
        assert server.accepted == 2
        mode.run(client.invoke, "GET", "/vmp/images")
        assert server.accepted == 2
        assert server.count() == 3


def test_a_forked_child_with_a_lent_pool_is_refused(mode: Mode) -> None:
    import httpx

    with fault_server(Respond(200, b'{"pid": "server"}')) as server:
        transport = httpx.AsyncHTTPTransport() if mode.is_async else httpx.HTTPTransport()
        client = mode.client(endpoint=server.endpoint, transport=transport)
        mode.run(client.invoke, "GET", "/vmp/images")
        report = json.loads(_in_child(mode, client, server.endpoint))
    assert report["error"].startswith("ClientUsageError: ")
    assert "Create the client after the fork" in report["error"]
    assert server.count() == 1


def test_max_response_bytes_defaults_to_64_mib() -> None:
    for cls in (Client, AsyncClient):
        client = cls(access_key="A", secret_key="B", load_entry_points=False)
        assert client.max_response_bytes == 64 * 1024 * 1024
