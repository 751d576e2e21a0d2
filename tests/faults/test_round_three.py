"""Regressions of the third adversarial round (issue 19), over loopback sockets, both clients.

Each test failed before its fix: raw ``UnicodeDecodeError``/``RuntimeError``, corrupt compressed
bodies taken for empty successes, a negative ``Retry-After`` read as "no pause", control
characters echoed raw, an unknown outcome left unsaid.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from typing import Any

import anyio
import pytest

from cdnetworks.core import (
    ApiError,
    CdnetworksError,
    ClientUsageError,
    DecodeError,
    ProtocolError,
    RetryPolicy,
    RetryQuota,
    ServerError,
    Timeout,
    TransportError,
    ValidationError,
)
from cdnetworks.imagemanage.actions import VMP_QUERY_IMAGE
from tests.conftest import Mode

from .cases import OK_BODY
from .server import ResetMidBody, Respond, Stall, fault_server

#: Invalid UTF-8 in a field every model reads (an image's name) and in the message.
BAD_UTF8 = b'{"code":"0","message":"caf\xc3\x28","images":[{"id":"i","name":"\xff"}]}'
JSON = ("Content-Type", "application/json")


def _typed(mode: Mode, client: Any) -> Any:
    return mode.run(client.call, VMP_QUERY_IMAGE, ids=["img-1"])


def _invoke(mode: Mode, client: Any) -> Any:
    return mode.run(client.invoke, "GET", "/vmp/images")


@pytest.mark.parametrize("how", [_invoke, _typed], ids=["invoke", "typed"])
@pytest.mark.parametrize("status", [200, 400, 503])
def test_invalid_utf8_in_a_json_body_is_a_typed_error(mode: Mode, status: int, how: Any) -> None:
    with fault_server(Respond(status, BAD_UTF8, (JSON,))) as server:
        client = mode.client(endpoint=server.endpoint)
        with pytest.raises(CdnetworksError) as caught:
            how(mode, client)
    error = caught.value
    assert not isinstance(error, UnicodeDecodeError)
    assert (error.status_code, error.request_id) == (status, f"req-{server.count()}")  # type: ignore[attr-defined]
    if status == 200:
        assert isinstance(error, DecodeError) and error.attempts == 1
    elif status == 503:
        # Still classified as retriable: every attempt was made.
        assert isinstance(error, ServerError)
        assert error.attempts == 3 and server.count() == 3
    else:
        assert isinstance(error, ApiError) and error.attempts == 1


def _close_while_in_flight(mode: Mode, client: Any, method: str) -> BaseException | None:
    """Start a call, close the client 0.3 s later, return what the call raised."""
    if not mode.is_async:
        caught: list[BaseException | None] = [None]

        def run() -> None:
            try:
                client.invoke(method, "/vmp/images", json={"a": 1} if method == "POST" else None)
            except BaseException as exc:
                caught[0] = exc

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.3)
        client.close()
        thread.join(10)
        assert not thread.is_alive()
        return caught[0]

    async def scenario() -> BaseException | None:
        result: list[BaseException | None] = [None]

        async def run() -> None:
            try:
                await client.invoke(
                    method, "/vmp/images", json={"a": 1} if method == "POST" else None
                )
            except BaseException as exc:
                result[0] = exc

        async with anyio.create_task_group() as group:
            group.start_soon(run)
            await anyio.sleep(0.3)
            await client.aclose()
        return result[0]

    return mode._portal.call(scenario)  # type: ignore[no-any-return]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_closing_a_client_with_calls_in_flight_ends_them_typed(mode: Mode, method: str) -> None:
    with fault_server(Stall(1.0), Respond(200, OK_BODY)) as server:
        # The default retry policy (3 attempts), without its waits.
        client = mode.client(
            endpoint=server.endpoint,
            timeout=Timeout(read=5.0),
            retry=RetryPolicy(base_delay=0.05, max_delay=0.05, quota=RetryQuota()),
        )
        error = _close_while_in_flight(mode, client, method)
        time.sleep(1.2)  # would a retry have gone out on a closed pool?
        sent = server.count()
    assert isinstance(error, TransportError | ClientUsageError), repr(error)
    assert "Cannot send a request" not in str(error)
    assert sent == 1  # never retried on the closed pool


def test_a_call_after_close_is_refused(mode: Mode) -> None:
    with fault_server(Respond(200, OK_BODY)) as server:
        client = mode.client(endpoint=server.endpoint)
        mode.run(client.aclose if mode.is_async else client.close)
        with pytest.raises(ClientUsageError):
            _invoke(mode, client)
    assert server.count() == 0


def test_a_reset_post_says_its_outcome_is_unknown(mode: Mode) -> None:
    with fault_server(ResetMidBody()) as server:
        client = mode.client(endpoint=server.endpoint)
        with pytest.raises(ProtocolError) as caught:
            mode.run(client.invoke, "POST", "/vmp/purge", json={"urls": ["https://x/a"]})
    error = caught.value
    assert server.count() == 1 and error.attempts == 1 and error.request_sent
    assert "may have reached the server" in str(error) and "unknown" in str(error)


def test_a_reset_get_does_not_claim_an_unknown_outcome(mode: Mode) -> None:
    with fault_server(ResetMidBody()) as server:
        client = mode.client(endpoint=server.endpoint)
        with pytest.raises(ProtocolError) as caught:
            _invoke(mode, client)
    assert server.count() == 3 and "unknown" not in str(caught.value)


def _corrupt(encoding: str) -> list[tuple[str, bytes]]:
    whole = gzip.compress(OK_BODY)
    cases = [("garbage", b"this is not compressed at all, not even a little")]
    if encoding == "gzip":
        cases.append(("truncated", whole[: len(whole) // 2]))
    if encoding == "deflate":
        cases.append(("truncated", zlib.compress(OK_BODY)[:10]))
    return cases


@pytest.mark.parametrize("encoding", ["deflate", "gzip", "br", "zstd"])
@pytest.mark.parametrize("how", [_invoke, _typed], ids=["invoke", "typed"])
def test_a_corrupt_compressed_body_is_a_decode_error(mode: Mode, encoding: str, how: Any) -> None:
    for what, body in _corrupt(encoding):
        reply = Respond(200, body, (JSON, ("Content-Encoding", encoding)))
        with fault_server(reply) as server:
            client = mode.client(endpoint=server.endpoint)
            with pytest.raises(DecodeError) as caught:
                how(mode, client)
        assert caught.value.status_code == 200, what
        assert caught.value.request_id == "req-1", what
        assert encoding in str(caught.value), what


@pytest.mark.parametrize("encoding", ["deflate", "raw-deflate", "gzip"])
def test_a_sound_compressed_body_still_decodes(mode: Mode, encoding: str) -> None:
    if encoding == "gzip":
        body = gzip.compress(OK_BODY)
    elif encoding == "deflate":
        body = zlib.compress(OK_BODY)
    else:  # what many servers send for "deflate"
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body = packer.compress(OK_BODY) + packer.flush()
    name = "deflate" if encoding == "raw-deflate" else encoding
    with fault_server(Respond(200, body, (JSON, ("Content-Encoding", name)))) as server:
        client = mode.client(endpoint=server.endpoint)
        assert _invoke(mode, client).data["code"] == "0"


@pytest.mark.parametrize("value", ["-5", "-0.5", "inf", "nan", "soon"])
def test_an_invalid_retry_after_is_treated_as_absent(mode: Mode, value: str) -> None:
    reply = Respond(503, b"", (("Retry-After", value),))
    with fault_server(reply) as server:
        client = mode.client(
            endpoint=server.endpoint,
            retry=RetryPolicy(base_delay=0.2, max_delay=0.2, quota=RetryQuota()),
        )
        with pytest.raises(ServerError) as caught:
            _invoke(mode, client)
        gaps = [b.at - a.at for a, b in zip(server.seen, server.seen[1:], strict=False)]
    assert caught.value.retry_after is None and server.count() == 3
    # The policy's own backoff (0.1 to 0.2 s) separated the attempts, not "no pause".
    assert all(gap >= 0.09 for gap in gaps), gaps


def test_control_characters_are_escaped_in_every_message(mode: Mode) -> None:
    client = mode.client(endpoint="http://127.0.0.1:9")
    with pytest.raises(ValidationError) as refused:
        mode.run(client.invoke, "GET", "/vmp/\r\nFAKE: log line\x1b[31m")
    text = str(refused.value)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text), text
    assert "\\r\\n" in text and "\\x1b" in text
    body = b'{"code":"E1","message":"bad\\r\\nINFO forged line"}'
    with fault_server(Respond(400, body, (JSON,))) as server:
        client = mode.client(endpoint=server.endpoint)
        with pytest.raises(ApiError) as answered:
            _invoke(mode, client)
    assert "\n" not in str(answered.value) and "\\r\\nINFO forged" in str(answered.value)
