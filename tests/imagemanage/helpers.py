"""Helpers shared by the imagemanage tests: canned answers, signature checks, draining iterators."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx

from cdnetworks.core.signing import (
    DEFAULT_SIGNED_HEADERS,
    authorization,
    canonical_request,
    signature,
    string_to_sign,
)
from tests.conftest import ACCESS_KEY, CANARY_SECRET, Mode

RID = "rid-0123456789abcdef"


def reply(status: int = 200, body: Any = None, *, raw: bytes | None = None) -> httpx.Response:
    """An API answer carrying a request id, as the service sends it."""
    content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    return httpx.Response(
        status,
        content=content,
        headers={"content-type": "application/json", "x-cnc-request-id": RID},
    )


def assert_signed(request: httpx.Request) -> None:
    """Recompute the CNC-HMAC-SHA256 signature over exactly what was sent and compare."""
    headers = request.headers
    assert headers["x-cnc-accessKey"] == ACCESS_KEY
    assert headers["x-cnc-auth-method"] == "AKSK"
    assert headers["content-type"] == "application/json"
    path, _, query = request.url.raw_path.partition(b"?")
    canonical = canonical_request(
        request.method, path, query, headers, DEFAULT_SIGNED_HEADERS, request.content
    )
    expected = signature(CANARY_SECRET, string_to_sign(headers["x-cnc-timestamp"], canonical))
    assert headers["authorization"] == authorization(ACCESS_KEY, DEFAULT_SIGNED_HEADERS, expected)
    assert CANARY_SECRET not in str(headers)


def drain(mode: Mode, iterable: Iterable[Any] | AsyncIterator[Any]) -> list[Any]:
    """Collect a sync iterator, or an async one on the mode's event loop."""
    if not mode.is_async:
        assert isinstance(iterable, Iterable)
        return list(iterable)
    assert isinstance(iterable, AsyncIterator)
    aiter = iterable

    async def collect() -> list[Any]:
        return [item async for item in aiter]

    return mode.run(collect)  # type: ignore[no-any-return]
