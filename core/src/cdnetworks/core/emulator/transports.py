"""httpx transports that answer from an emulator in-process, sync and async.

The decision (which answer, how long to wait, whether the "connection" drops or the client's
read timeout runs out first) is made once in `_outcome`; the two transports differ only
in how they sleep.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio
import httpx

from .services import EmulatorRequest

if TYPE_CHECKING:
    from .app import Emulator


def _request(request: httpx.Request, body: bytes) -> EmulatorRequest:
    return EmulatorRequest(
        method=request.method,
        target=request.url.raw_path,
        headers=httpx.Headers(request.headers),
        body=body,
    )


def _outcome(
    emulator: Emulator, request: httpx.Request, body: bytes
) -> tuple[float, httpx.Response | httpx.TransportError]:
    """Seconds to wait, then the response to return or the error to raise."""
    answer = emulator.answer(_request(request, body))
    timeouts = request.extensions.get("timeout") or {}
    read_timeout = timeouts.get("read")
    if answer.delay and read_timeout is not None and answer.delay > read_timeout:
        return read_timeout, httpx.ReadTimeout("The read operation timed out", request=request)
    if answer.reply is None:
        return answer.delay, httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    reply = answer.reply
    return answer.delay, httpx.Response(
        reply.status, headers=reply.headers, content=reply.body, request=request
    )


def answer_httpx(emulator: Emulator, request: httpx.Request) -> httpx.Response:
    delay, outcome = _outcome(emulator, request, request.read())
    if delay > 0:
        time.sleep(delay)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


class EmulatorTransport(httpx.BaseTransport):
    """Answers httpx requests from an `Emulator`."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return answer_httpx(self.emulator, request)


class AsyncEmulatorTransport(httpx.AsyncBaseTransport):
    """The async twin of `EmulatorTransport` (sleeps with ``anyio.sleep``)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        delay, outcome = _outcome(self.emulator, request, await request.aread())
        if delay > 0:
            await anyio.sleep(delay)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
