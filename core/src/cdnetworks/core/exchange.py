"""One attempt on the wire: send, then read the body under the call's deadline and size bound.

The pipeline decides *what* to send; this module sends it and reads the answer, for the sync and
the async client, so that

* the call's total deadline bounds every byte of it. httpx gives each socket read a fresh read
  timeout, so a server trickling a byte a second would never trip it: the async client wraps the
  whole exchange in a cancel scope, and the sync client's own pool uses a network backend whose
  every read, write and connect gets at most the time the deadline has left;
* the decoded body never grows past ``max_response_bytes``: reading stops as soon as it would.
  Every Content-Encoding is inflated here, in bounded steps (`cdnetworks.core.body`), so a
  gzip bomb costs the bound and a step, and a corrupt compressed body is an error;
* a failure after the head keeps the head (status and request id) for the error.
"""

from __future__ import annotations

import contextvars
import os
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from .body import Body, content_encodings
from .internals import install_deadline_backend, store_body

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
#: ``PoolClosed`` is one of the exceptions a ``Reply`` may be.


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


_TLS_LOCK = threading.Lock()
_TLS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def shared_tls_context() -> ssl.SSLContext:
    """The verifying TLS context of every pool in this process, built once (loading the CA
    bundle is most of what creating a client cost). Rebuilt only if ``SSL_CERT_FILE`` or
    ``SSL_CERT_DIR`` change, which httpx reads when it builds a context."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _TLS.get(key)
    if context is None:
        with _TLS_LOCK:
            context = _TLS.get(key)
            if context is None:
                context = _TLS[key] = httpx.create_ssl_context(verify=True, trust_env=True)
    return context


def async_pool(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The async client's own connection pool (or one over the caller's ``transport``); like
    httpx's own, it honours the environment's proxies."""
    if transport is not None:
        return _AsyncPool(transport=transport, timeout=None)
    return _AsyncPool(timeout=None, verify=shared_tls_context())


def sync_pool(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The sync client's own connection pool, its sockets bound by the call's deadline (or a
    pool over the caller's ``transport``).

    Built without an explicit transport, so httpx mounts the proxies of ``HTTPS_PROXY``,
    ``HTTP_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` as it does for the async pool; then each pool
    (direct and proxied) gets the deadline backend (`internals.install_deadline_backend`). A
    test with a trickling server fails if an httpx release changes this.
    """
    if transport is not None:
        return _Pool(transport=transport, timeout=None)
    pool = _Pool(timeout=None, verify=shared_tls_context())
    install_deadline_backend(pool)
    return pool


class PoolClosed(Exception):
    """The client's connection pool was closed (``close()`` or ``aclose()``) before or while
    this attempt was sent."""

    def __str__(self) -> str:
        return "the client was closed while the call was in flight"


def _too_large_up_front(response: httpx.Response, limit: int) -> bool:
    """A plain body that announces more than ``limit`` bytes is refused before reading it."""
    if content_encodings(response):
        return False
    declared = response.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


def _past(deadline: float | None, request: httpx.Request) -> None:
    # Between chunks too: a transport that is not the SDK's own pool reads with fresh timeouts.
    if deadline is not None and time.monotonic() >= deadline:
        raise httpx.ReadTimeout(DEADLINE_MESSAGE, request=request)


def _closed(http: httpx.Client | httpx.AsyncClient, exc: RuntimeError) -> bool:
    # httpx's only signal for a closed client is a RuntimeError; judge by the state, not the text.
    return http.is_closed


def exchange(
    http: httpx.Client,
    request: httpx.Request,
    auth: httpx.Auth,
    limit: int,
    deadline: float | None,
) -> Reply:
    """Send ``request`` and read its answer (sync)."""
    if http.is_closed:
        return PoolClosed()
    token = CALL_DEADLINE.set(deadline)
    try:
        try:
            response = http.send(request, auth=auth, stream=True)
        except httpx.RequestError as exc:
            return exc
        except RuntimeError as exc:
            if _closed(http, exc):
                return PoolClosed()
            raise
        try:
            if _too_large_up_front(response, limit):
                return TooLarge(response, limit)
            body = Body(response, limit)
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
        return store_body(response, body.content)
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

    if http.is_closed:
        return PoolClosed()
    response: httpx.Response | None = None
    try:
        with anyio.fail_after(None if deadline is None else max(0.0, deadline - time.monotonic())):
            try:
                response = await http.send(request, auth=auth, stream=True)
            except httpx.RequestError as exc:
                return exc
            except RuntimeError as exc:
                if _closed(http, exc):
                    return PoolClosed()
                raise
            try:
                if _too_large_up_front(response, limit):
                    return TooLarge(response, limit)
                body = Body(response, limit)
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
    return store_body(response, body.content)
