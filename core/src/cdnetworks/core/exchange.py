"""One attempt on the wire: send, then read the body under the call's deadline and size bound.

The pipeline decides *what* to send; this module sends it and reads the answer, for the sync and
the async client, so that

* the call's total deadline bounds every byte of it. httpx gives each socket read a fresh read
  timeout, so a server trickling a byte a second would never trip it: the async client wraps the
  whole exchange in a cancel scope, and the sync client's own pool uses a network backend whose
  every read, write and connect gets at most the time the deadline has left;
* the decoded body never grows past ``max_response_bytes``: reading stops as soon as it would.
  A gzip body is inflated here, never more than one byte past the bound, so a gzip bomb costs
  the bound and no more (httpx inflates each network read whole: 64 KiB of a bomb is 64 MiB);
* a failure after the head keeps the head (status and request id) for the error.
"""

from __future__ import annotations

import contextvars
import time
import zlib
from dataclasses import dataclass
from typing import Any

import httpx

#: The monotonic deadline of the call running in this context (thread or task), if any.
CALL_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "cdnetworks_deadline", default=None
)
DEADLINE_MESSAGE = "the call's total timeout ran out"


@dataclass(frozen=True)
class BrokenBody:
    """A reply whose status and headers arrived but whose body did not (reset, timeout, or a
    Content-Encoding that would not decode). ``response`` is headers only: its body is unread."""

    response: httpx.Response
    error: httpx.RequestError


@dataclass(frozen=True)
class TooLarge:
    """A reply whose decoded body passed ``limit`` bytes; reading stopped there."""

    response: httpx.Response
    limit: int


Reply = httpx.Response | BrokenBody | TooLarge | Exception


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing: the API sets no cookies (the Go SDK has no jar), and
    reading ``Set-Cookie`` through the standard library's cookie machinery costs about a sixth
    of a warm call."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _Pool(httpx.Client):
    """The SDK's own sync pool: httpx's client without a cookie jar."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None


class _AsyncPool(httpx.AsyncClient):
    """The SDK's own async pool: httpx's client without a cookie jar."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None


_NO_COOKIES = _NoCookies()


def async_pool(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The async client's own connection pool (or one over the caller's ``transport``)."""
    return _AsyncPool(transport=transport, timeout=None)


def sync_pool(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The sync client's own connection pool, its sockets bound by the call's deadline (or a
    pool over the caller's ``transport``).

    httpx offers no public way to choose the network backend of ``HTTPTransport``; the pool it
    builds is replaced by an identical one that differs only in the backend. A test with a
    trickling server fails if an httpx release changes this.
    """
    if transport is not None:
        return _Pool(transport=transport, timeout=None)
    # httpcore (and the backend built on it) is imported with the first pool, not by
    # ``import cdnetworks.core``: httpx itself defers it the same way.
    import httpcore

    from .deadline_backend import DeadlineBackend

    transport = httpx.HTTPTransport()
    pool = transport._pool
    assert isinstance(pool, httpcore.ConnectionPool)
    pool._network_backend = DeadlineBackend(pool._network_backend)
    return _Pool(transport=transport, timeout=None)


#: Content-Encodings inflated here under the bound; others are left to httpx (and bounded
#: after each decoded chunk).
_GZIP = frozenset({"gzip", "x-gzip"})


class _Body:
    """Gathers a body's decoded bytes, refusing to hold more than ``limit`` of them."""

    def __init__(self, response: httpx.Response, limit: int, encoding: str) -> None:
        self._request = response.request
        self._limit = limit
        self._size = 0
        self._chunks: list[bytes] = []
        # A transport may hand over a body it already read (and decoded): take it as it is.
        in_memory = hasattr(response, "_content")
        gzipped = encoding in _GZIP and not in_memory
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16) if gzipped else None
        #: Whether to feed raw bytes (identity, or gzip inflated here) or httpx's decoded ones.
        self.raw = not in_memory and (gzipped or encoding == "identity")

    def feed(self, chunk: bytes) -> bool:
        """Take the next chunk; ``False`` once the body is over the limit."""
        if self._inflate is not None:
            try:
                # Ask for one byte more than the room left: getting it means "too large".
                chunk = self._inflate.decompress(chunk, self._limit - self._size + 1)
            except zlib.error as exc:
                raise httpx.DecodingError(f"gzip: {exc}", request=self._request) from None
        return self._take(chunk)

    def finish(self) -> bool:
        if self._inflate is not None:
            return self._take(self._inflate.flush())
        return True

    def _take(self, chunk: bytes) -> bool:
        self._size += len(chunk)
        if self._size > self._limit:
            return False
        self._chunks.append(chunk)
        return True

    @property
    def content(self) -> bytes:
        return b"".join(self._chunks)


def _content_encoding(response: httpx.Response) -> str:
    encoding: str = response.headers.get("content-encoding", "identity")
    return encoding.strip().lower()


def _too_large_up_front(response: httpx.Response, limit: int, encoding: str) -> bool:
    """A plain body that announces more than ``limit`` bytes is refused before reading it."""
    if encoding != "identity":
        return False
    declared = response.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


def _past(deadline: float | None, request: httpx.Request) -> None:
    # Between chunks too: a transport that is not the SDK's own pool reads with fresh timeouts.
    if deadline is not None and time.monotonic() >= deadline:
        raise httpx.ReadTimeout(DEADLINE_MESSAGE, request=request)


def exchange(
    http: httpx.Client,
    request: httpx.Request,
    auth: httpx.Auth,
    limit: int,
    deadline: float | None,
) -> Reply:
    """Send ``request`` and read its answer (sync)."""
    token = CALL_DEADLINE.set(deadline)
    try:
        try:
            response = http.send(request, auth=auth, stream=True)
        except httpx.RequestError as exc:
            return exc
        try:
            encoding = _content_encoding(response)
            if _too_large_up_front(response, limit, encoding):
                return TooLarge(response, limit)
            body = _Body(response, limit, encoding)
            for chunk in response.iter_raw() if body.raw else response.iter_bytes():
                if not body.feed(chunk):
                    return TooLarge(response, limit)
                _past(deadline, request)
            if not body.finish():
                return TooLarge(response, limit)
        except httpx.RequestError as exc:
            return BrokenBody(response, exc)
        finally:
            response.close()
        # What ``Response.read()`` would have stored, gathered under the bound.
        response._content = body.content
        return response
    finally:
        CALL_DEADLINE.reset(token)


async def aexchange(
    http: httpx.AsyncClient,
    request: httpx.Request,
    auth: httpx.Auth,
    limit: int,
    deadline: float | None,
) -> Reply:
    """Async twin of `exchange`; the deadline cancels the exchange wherever it is waiting."""
    import anyio  # with the first async exchange, not with ``import cdnetworks.core``

    response: httpx.Response | None = None
    try:
        with anyio.fail_after(None if deadline is None else max(0.0, deadline - time.monotonic())):
            try:
                response = await http.send(request, auth=auth, stream=True)
            except httpx.RequestError as exc:
                return exc
            try:
                encoding = _content_encoding(response)
                if _too_large_up_front(response, limit, encoding):
                    return TooLarge(response, limit)
                body = _Body(response, limit, encoding)
                async for chunk in response.aiter_raw() if body.raw else response.aiter_bytes():
                    if not body.feed(chunk):
                        return TooLarge(response, limit)
                if not body.finish():
                    return TooLarge(response, limit)
            except httpx.RequestError as exc:
                return BrokenBody(response, exc)
            finally:
                # Shielded: after the deadline fired, closing must still finish, or the
                # half-read connection would be left in the pool.
                with anyio.CancelScope(shield=True):
                    await response.aclose()
    except TimeoutError:
        timeout = httpx.ReadTimeout(DEADLINE_MESSAGE, request=request)
        return timeout if response is None else BrokenBody(response, timeout)
    response._content = body.content
    return response
