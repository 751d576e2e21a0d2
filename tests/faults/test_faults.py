"""Every fault of the matrix, over real loopback sockets, with both clients, as GET and POST."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from cdnetworks.core import ApiError, CdnetworksError, Result, Timeout, TransportError
from tests.conftest import CANARY_SECRET, Mode

from .cases import CASES, READ_TIMEOUT, FaultCase, markdown_table
from .server import FaultServer, Verified, fault_server, refused_endpoint

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "faults.md"
CREATE_BODY = {"name": "web-base", "imageUrl": "https://example.com/base.qcow2", "minDisk": 20}


@contextmanager
def _target(case: FaultCase) -> Iterator[tuple[str, FaultServer | None]]:
    if case.refused:
        with refused_endpoint() as endpoint:
            yield endpoint, None
        return
    script = [Verified(CANARY_SECRET, s) if case.verify else s for s in case.script]
    with fault_server(*script, clock_offset=case.clock_offset) as server:
        yield server.endpoint, server


def _call(mode: Mode, client: Any, method: str) -> Result:
    if method == "GET":
        result: Result = mode.run(client.invoke, "GET", "/vmp/images", params={"limit": 5})
    else:
        result = mode.run(client.invoke, "POST", "/vmp/images", json=CREATE_BODY)
    return result


@pytest.mark.slow
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault(case: FaultCase, method: str, mode: Mode) -> None:
    expect = case.get if method == "GET" else case.post
    with _target(case) as (endpoint, server):
        client = mode.client(
            endpoint=endpoint,
            secret_key="not-the-secret" if case.wrong_secret else CANARY_SECRET,
            timeout=Timeout(connect=2.0, read=READ_TIMEOUT, write=2.0, pool=2.0),
        )
        error: CdnetworksError | None = None
        result: Result | None = None
        try:
            result = _call(mode, client, method)
        except CdnetworksError as exc:
            error = exc

    # The server's view: how many attempts arrived, and no create that may have taken effect twice.
    if server is not None:
        assert server.count() == expect.attempts
        assert all(s.method == method for s in server.seen)
        if method == "POST":
            assert server.effective("POST") <= 1, "a create reached the service twice"

    if expect.error is None:
        assert error is None, f"expected a result, got {error!r}"
        assert result is not None
        assert result.status_code == 200
        assert result.data["data"]["images"][0]["imageId"] == "img-1"
        assert result.request_id == f"req-{expect.attempts}"
        return

    assert type(error) is expect.error, f"expected {expect.error.__name__}, got {error!r}"
    assert error.attempts == expect.attempts
    assert [h.attempt for h in error.history] == list(range(1, expect.attempts + 1))
    assert error.action == f"{method} /vmp/images"
    if case.message is not None:
        assert case.message in error.message
        assert case.message in str(error)
    if isinstance(error, TransportError):
        # When the head of an answer arrived before the failure, its status and id are kept.
        assert error.status_code == case.status
        assert error.request_id == (f"req-{expect.attempts}" if case.status else None)
        assert error.request_sent is not case.refused
        return
    # An answer came back: status, code and the last attempt's request id are on the error.
    assert getattr(error, "status_code", None) == case.status
    assert getattr(error, "request_id", None) == f"req-{expect.attempts}"
    assert [h.request_id for h in error.history] == [
        f"req-{n}" for n in range(1, expect.attempts + 1)
    ]
    if isinstance(error, ApiError):
        assert error.code == case.code
        assert error.retry_after == case.retry_after


def test_retry_after_is_waited(mode: Mode) -> None:
    """The retries of a 429 with ``Retry-After: 0.2`` arrive no sooner than 0.2 s apart."""
    case = next(c for c in CASES if c.id == "429-retry-after")
    with _target(case) as (endpoint, server):
        client = mode.client(endpoint=endpoint)
        with pytest.raises(ApiError):
            _call(mode, client, "GET")
    assert server is not None
    gaps = [b.at - a.at for a, b in zip(server.seen, server.seen[1:], strict=False)]
    assert len(gaps) == 2
    assert all(gap >= 0.19 for gap in gaps), gaps


def test_long_retry_after_is_left_to_the_caller(mode: Mode) -> None:
    case = next(c for c in CASES if c.id == "429-retry-after-long")
    with _target(case) as (endpoint, _):
        client = mode.client(endpoint=endpoint)
        with pytest.raises(ApiError) as info:
            _call(mode, client, "GET")
    assert info.value.retry_after == 120.0
    assert "Retry-After asks for 120 s, over the 60 s the policy waits" in str(info.value)


def test_clock_skew_is_adopted_for_later_calls(mode: Mode) -> None:
    """After one skew rejection the signer keeps the server's clock: the next call needs one try."""
    case = next(c for c in CASES if c.id == "401-skew")
    with _target(case) as (endpoint, server):
        client = mode.client(endpoint=endpoint)
        assert _call(mode, client, "GET").status_code == 200
        assert _call(mode, client, "POST").status_code == 200
        assert server is not None
        assert server.count() == 3  # rejected, accepted, accepted
        assert server.rejected == {1}
        stamps = [int(s.headers["x-cnc-timestamp"]) for s in server.seen]
        assert abs(stamps[1] - server.now()) < 60
        assert abs(stamps[2] - server.now()) < 60


def test_docs_matrix_is_current() -> None:
    """docs/faults.md shows the matrix these tests enforce."""
    assert markdown_table() in DOCS.read_text(encoding="utf-8")
