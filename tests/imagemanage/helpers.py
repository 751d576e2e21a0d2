"""Helpers shared by the imagemanage tests: canned answers, signature checks, draining iterators."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx

from tests import reference_signer
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
    """Check the signature over exactly what was sent, with the independent reference signer."""
    reference_signer.assert_signed(request, ACCESS_KEY, CANARY_SECRET)
    assert request.headers["authorization"].startswith(
        f"CNC-HMAC-SHA256 Credential={ACCESS_KEY}, SignedHeaders=content-type;host, "
    )
    assert CANARY_SECRET not in str(request.headers)


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
