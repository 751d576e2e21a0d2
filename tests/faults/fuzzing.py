"""Arbitrary answers for the fuzz test and its long run (``benchmarks/fuzz.py``).

A hypothesis strategy builds whole HTTP/1.1 answers (status line, the headers that steer the
SDK's decisions, a body that may be compressed, truncated, or lie about its length); a
`FaultServer` sends the current one to every request; `check` calls the SDK the four ways a user
would (``invoke`` and a typed call, sync and async) and returns what went wrong, if anything:
an exception outside the SDK's hierarchy, or a call that outlived its deadline.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import time
import zlib
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from cdnetworks.core import AsyncClient, CdnetworksError, Client, Timeout
from cdnetworks.core.retry import RetryPolicy, RetryQuota
from cdnetworks.imagemanage import AsyncImageManageClient, ImageManageClient
from tests.faults.server import FaultServer, Reply, Seen

#: The whole call's deadline, and how late past it an outcome may come (scheduling, close).
TOTAL = 3.0
SLACK = 2.0
KEYS = {"access_key": "AKFUZZ", "secret_key": "sk-fuzz-secret"}


@dataclass
class Current(Reply):
    """Send whatever answer the running example put here, then close the connection (so no
    example's bytes can be read as the next one's)."""

    data: bytes = b""

    def __call__(self, server: FaultServer, conn: socket.socket, seen: Seen) -> bool:
        conn.sendall(self.data)
        return False


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _body(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["envelope", "json", "bytes", "empty", "bad-utf8"]))
    if kind == "envelope":
        data = draw(st.sampled_from([{"images": []}, {"images": [{"id": "img-1", "size": "7"}]}]))
        code = draw(st.sampled_from(["0", "200", "InvalidParameter", 0, None]))
        payload = {"code": code, "message": draw(st.text(max_size=12)), "data": data}
        return json.dumps(payload).encode()
    if kind == "json":
        return json.dumps(draw(_JSON)).encode()
    if kind == "bad-utf8":
        return b'{"code":"0","message":"\xff\xfe","data":{"images":[]}}'
    if kind == "empty":
        return b""
    return draw(st.binary(max_size=64))


_HEADER_VALUES = {
    "Content-Type": st.sampled_from(
        ["application/json", "text/html", "application/json; charset=latin-1", "", "a/b;;;"]
    ),
    "Retry-After": st.sampled_from(
        ["0", "1", "-3", "nan", "1e9", "soon", "", "Wed, 21 Oct 2015 07:28:00 GMT"]
    ),
    "x-cnc-request-id": st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    "Content-Encoding": st.sampled_from(
        ["gzip", "deflate", "br", "zstd", "identity", "x-gzip", "gzip, gzip", "bogus"]
    ),
}


@st.composite
def answers(draw: st.DrawFn) -> bytes:
    """One whole answer, as bytes on the wire."""
    status = draw(
        st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504, 599])
        | st.integers(100, 999)
    )
    reason = draw(st.sampled_from(["OK", "", "Weird Reason", "\u00e9"]))
    line = draw(
        st.sampled_from(
            [
                f"HTTP/1.1 {status} {reason}",
                f"HTTP/1.0 {status}",
                f"HTTP/1.1 {status}",
                "HTTP/1.1 abc",
                "garbage",
            ]
        )
    )
    body = draw(_body())
    headers: list[tuple[str, str]] = []
    for name, values in _HEADER_VALUES.items():
        if draw(st.booleans()):
            headers.append((name, draw(values)))
    encoding = next((v for n, v in headers if n == "Content-Encoding"), None)
    if encoding in ("gzip", "x-gzip") and draw(st.booleans()):
        body = gzip.compress(body)
    elif encoding == "deflate" and draw(st.booleans()):
        body = zlib.compress(body)
    if draw(st.booleans()):  # truncated after compression
        body = body[: draw(st.integers(0, len(body)))]
    length = draw(st.sampled_from(["true", "absent", "short", "long", "junk", "twice"]))
    if length == "true":
        headers.append(("Content-Length", str(len(body))))
    elif length == "short":
        headers.append(("Content-Length", str(max(0, len(body) - 3))))
    elif length == "long":
        headers.append(("Content-Length", str(len(body) + 5)))
    elif length == "junk":
        headers.append(("Content-Length", draw(st.sampled_from(["-1", "abc", "1e3", ""]))))
    elif length == "twice":
        headers += [("Content-Length", str(len(body))), ("Content-Length", str(len(body) + 1))]
    head = "\r\n".join([line, *(f"{n}: {v}" for n, v in headers)]) + "\r\n\r\n"
    return head.encode("utf-8") + body


def _core_kwargs(endpoint: str) -> dict[str, Any]:
    return {
        **KEYS,
        "endpoint": endpoint,
        "load_entry_points": False,
        "timeout": Timeout(connect=TOTAL, read=TOTAL, write=TOTAL, pool=TOTAL, total=TOTAL),
        "retry": RetryPolicy(base_delay=0.0, max_delay=0.05, quota=RetryQuota()),
    }


class Callers:
    """The four ways of calling, each with its own client, reused across examples."""

    def __init__(self, endpoint: str) -> None:
        self.sync = Client(**_core_kwargs(endpoint))
        self.typed = ImageManageClient(client=self.sync)
        self.loop = asyncio.new_event_loop()
        self.asynchronous = AsyncClient(**_core_kwargs(endpoint))
        self.async_typed = AsyncImageManageClient(client=self.asynchronous)

    def calls(self) -> list[tuple[str, Any]]:
        return [
            ("sync invoke", lambda: self.sync.invoke("GET", "/vmp/images", params={"limit": 2})),
            ("sync typed", lambda: self.typed.vmp_query_image(limit=2)),
            (
                "async invoke",
                lambda: self.loop.run_until_complete(
                    self.asynchronous.invoke("GET", "/vmp/images", params={"limit": 2})
                ),
            ),
            (
                "async typed",
                lambda: self.loop.run_until_complete(self.async_typed.vmp_query_image(limit=2)),
            ),
        ]

    def close(self) -> None:
        self.sync.close()
        self.loop.run_until_complete(self.asynchronous.aclose())
        self.loop.close()


def check(callers: Callers, holder: Current, answer: bytes) -> list[str]:
    """Problems with the SDK's outcome for ``answer``, each named by the way of calling."""
    holder.data = answer
    problems = []
    for name, call in callers.calls():
        started = time.monotonic()
        try:
            call()
        except CdnetworksError:
            pass
        except Exception as exc:  # exactly what the fuzz looks for
            problems.append(f"{name}: untyped {type(exc).__name__}: {exc}")
        elapsed = time.monotonic() - started
        if elapsed > TOTAL + SLACK:
            problems.append(f"{name}: took {elapsed:.1f} s, past the {TOTAL} s deadline")
    return problems
