"""Every place the SDK reaches into httpx or httpcore internals, one seam each.

Each internal buys speed or a guarantee the public API does not offer. Each is probed once, when
this module is imported, and when the probe fails (a release of httpx or httpcore moved the
internal) the seam falls back to the public API, so an upgrade costs speed, never correctness.
`seams()` says which way each went; the compatibility job (``.ci/run``) runs the core suite on
the lowest and highest versions our ranges allow, so a release that moves an internal shows up
there first.

=====================  ===========================================  ================================
seam                   internal                                     public fallback
=====================  ===========================================  ================================
``url_join``           ``httpx.URL._uri_reference`` (no re-parse)   ``URL.copy_with(raw_path=...)``
``header_triples``     ``httpx.Headers._list`` (signing on bytes)   ``Headers`` item API
``store_body``         ``httpx.Response._content``                  a new ``Response`` (content=)
``deadline_backend``   ``HTTPTransport._pool._network_backend``     httpx's backend; the deadline
                       and ``Client._mounts`` (proxies)             is then checked between chunks
=====================  ===========================================  ================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx


def _probe(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except Exception:  # any surprise in an internal means: not as we know it
        return False


# --- url_join ---------------------------------------------------------------------------------


def _url_probe() -> bool:
    base = httpx.URL("https://probe.invalid/base/")
    joined = _fast_join(base, "/p%20q", "a=1")
    return joined is not None and str(joined) == "https://probe.invalid/base/p%20q?a=1"


def _fast_join(base: httpx.URL, path: str, query: str) -> httpx.URL | None:
    reference = base._uri_reference
    joined = reference._replace(path=reference.path.rstrip("/") + path, query=query or None)
    url = httpx.URL.__new__(httpx.URL)
    url._uri_reference = joined
    return url


def url_join(base: httpx.URL, path: str, query: str) -> httpx.URL | None:
    """``base`` with ``path`` and ``query`` (both percent-encoded by the SDK) put in place without
    httpx parsing the whole URL again (about two thirds of building a request); ``None``: use
    the public ``copy_with``."""
    if not URL_INTERNALS:
        return None
    try:
        return _fast_join(base, path, query)
    except (AttributeError, TypeError):
        return None


# --- header_triples ---------------------------------------------------------------------------

#: Header encodings under which printable-ASCII bytes and their decoded text are the same
#: characters (``None`` is httpx's "not decided yet", which picks one of the three).
_ASCII_COMPATIBLE = frozenset({None, "ascii", "utf-8", "iso-8859-1"})


def _headers_probe() -> bool:
    headers = httpx.Headers({"X-Probe": "v"})
    entries = headers._list
    return (
        type(entries) is list
        and entries == [(b"X-Probe", b"x-probe", b"v")]
        and getattr(headers, "_encoding", 0) in _ASCII_COMPATIBLE
    )


def header_triples(headers: httpx.Headers) -> list[tuple[bytes, bytes, bytes]] | None:
    """httpx's own ``(name, lower-case name, value)`` list, to sign and edit in place; ``None``
    when it is not there (or not ASCII): sign through the public ``Headers`` API."""
    if not HEADER_INTERNALS:
        return None
    entries = getattr(headers, "_list", None)
    if type(entries) is not list or getattr(headers, "_encoding", 0) not in _ASCII_COMPATIBLE:
        return None
    return entries


# --- store_body -------------------------------------------------------------------------------


def _content_probe() -> bool:
    response = httpx.Response(200, stream=httpx.ByteStream(b"x"))
    response._content = b"y"
    return response.content == b"y" and response.read() == b"y"


def store_body(response: httpx.Response, content: bytes) -> httpx.Response:
    """``response`` holding ``content``, its body as decoded (and bounded) by the SDK."""
    if CONTENT_INTERNALS:
        # What ``Response.read()`` would have stored.
        response._content = content
        return response
    # The public constructor inflates what it is given again: hand it the decoded bytes with
    # headers that no longer claim an encoding.
    headers = httpx.Headers(response.headers)
    for name in ("content-encoding", "content-length"):
        headers.pop(name, None)
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=content,
        request=response.request,
        extensions=response.extensions,
    )


# --- deadline_backend -------------------------------------------------------------------------


def _backend_probe() -> bool:
    import httpcore

    transport = httpx.HTTPTransport(verify=False)
    try:
        pool = transport._pool
        return isinstance(pool, httpcore.ConnectionPool) and hasattr(pool, "_network_backend")
    finally:
        transport.close()


def _transports(client: httpx.Client) -> list[Any]:
    found: list[Any] = [getattr(client, "_transport", None)]
    mounts = getattr(client, "_mounts", None)
    if isinstance(mounts, dict):
        found += mounts.values()  # the proxies httpx read from the environment
    return [t for t in found if isinstance(t, httpx.HTTPTransport)]


def install_deadline_backend(client: httpx.Client) -> bool:
    """Give every connection pool of ``client`` (direct and proxied) a network backend whose
    each connect, read and write gets at most what the call's deadline has left. httpx has no
    public way to choose the backend; ``False`` when its internals are not as expected (the
    deadline then holds between body chunks, and each read keeps httpx's read timeout)."""
    if not probe_backend():
        return False
    from .deadline_backend import DeadlineBackend

    installed = False
    for transport in _transports(client):
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, DeadlineBackend):
            pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
            installed = True
    return installed


URL_INTERNALS = _probe(_url_probe)
HEADER_INTERNALS = _probe(_headers_probe)
CONTENT_INTERNALS = _probe(_content_probe)
#: Probed with the first sync pool (httpcore is imported then, not by ``import cdnetworks.core``).
BACKEND_INTERNALS = True


def probe_backend() -> bool:
    """Probe the backend seam once (the first sync pool does); the answer is kept."""
    global BACKEND_INTERNALS, _BACKEND_PROBED
    if not _BACKEND_PROBED:
        BACKEND_INTERNALS = _probe(_backend_probe)
        _BACKEND_PROBED = True
    return BACKEND_INTERNALS


_BACKEND_PROBED = False


def seams() -> dict[str, bool]:
    """Which seams use the internal (``True``) and which the public fallback."""
    return {
        "url_join": URL_INTERNALS,
        "header_triples": HEADER_INTERNALS,
        "store_body": CONTENT_INTERNALS,
        "deadline_backend": probe_backend(),
    }
