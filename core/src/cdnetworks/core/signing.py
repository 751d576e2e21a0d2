"""AK/SK request signing (CNC-HMAC-SHA256), byte-compatible with the official Go SDK.

`AkskAuth` is an ``httpx.Auth``: it signs in ``auth_flow``, which httpx runs on the final
request, over exactly the bytes that go out, once per attempt. The pure functions below it
(`canonical_request`, `string_to_sign`, `signature`) are the algorithm itself,
exposed so tests and the emulator verify signatures with the same code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections.abc import Generator, Iterable, Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import unquote_to_bytes

import httpx

from .credentials import Credentials
from .errors import ValidationError

ALGORITHM = "CNC-HMAC-SHA256"
DEFAULT_SIGNED_HEADERS = ("content-type", "host")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
#: Below this, a difference between our clock and the server's ``Date`` is noise
#: (``Date`` has one-second resolution; the server accepts five minutes).
CLOCK_SKEW_THRESHOLD = 30.0

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_FIELD_VALUE = re.compile(r"^[\t\x20-\x7e]*$")


def check_header(name: str, value: str) -> None:
    """Refuse header names that are not HTTP tokens and values that could split the header."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise ValidationError(f"header {name!r}: names and values must be str", field=str(name))
    if not _TOKEN.match(name):
        raise ValidationError(f"header name {name!r} is not a valid HTTP token", field=name)
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ValidationError(
            f"header {name!r} has a CR, LF or NUL in its value, which would split the header",
            field=name,
        )
    if not _FIELD_VALUE.match(value):
        raise ValidationError(
            f"header {name!r} has characters outside printable ASCII in its value "
            "(encode them first, e.g. percent-encoding)",
            field=name,
        )


def canonical_query(raw_query: bytes) -> bytes:
    """Decode the query as Go's ``url.QueryUnescape`` does (``+`` is a space), order kept."""
    return unquote_to_bytes(raw_query.replace(b"+", b" "))


def canonical_request(
    method: str,
    raw_path: bytes,
    raw_query: bytes,
    headers: Mapping[str, str],
    signed_headers: Iterable[str],
    body: bytes,
) -> bytes:
    """Build the canonical request (step 5 of the spec) as bytes.

    ``headers`` is looked up case-insensitively; ``signed_headers`` are lower-cased header names.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    names = sorted(signed_headers)
    block = "".join(f"{name}:{lowered.get(name, '').lower()}\n" for name in names)
    query = b"" if method.upper() == "POST" else canonical_query(raw_query)
    payload_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    return b"\n".join(
        [
            method.upper().encode(),
            raw_path,
            query,
            block.encode("utf-8"),
            ";".join(names).encode(),
            payload_hash.encode(),
        ]
    )


def string_to_sign(timestamp: str, canonical: bytes) -> str:
    return f"{ALGORITHM}\n{timestamp}\n{hashlib.sha256(canonical).hexdigest()}"


def signature(secret_key: str, to_sign: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(access_key: str, signed_headers: Iterable[str], sig: str) -> str:
    return (
        f"{ALGORITHM} Credential={access_key}, "
        f"SignedHeaders={';'.join(sorted(signed_headers))}, Signature={sig}"
    )


class Clock:
    """Wall-clock time for ``x-cnc-timestamp``, corrected by the offset the server's ``Date`` shows.

    Every response's ``Date`` is compared with the local clock. When they differ by
    `CLOCK_SKEW_THRESHOLD` seconds or more, later timestamps use the server's time;
    below it the offset resets to zero. Shared safely between threads and tasks.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> float:
        return time.time() + self._offset

    def observe(self, response: httpx.Response) -> None:
        date = response.headers.get("date")
        if not date:
            return
        try:
            server = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError):
            return
        skew = server - time.time()
        with self._lock:
            self._offset = skew if abs(skew) >= CLOCK_SKEW_THRESHOLD else 0.0


class AkskAuth(httpx.Auth):
    """Sign httpx requests with CDNetworks AK/SK (``CNC-HMAC-SHA256``).

    Use it on any httpx client to call actions the SDK does not model::

        client = httpx.Client(base_url="https://api.cdnetworks.com", auth=AkskAuth(ak, sk))
        client.get("/vmp/images", params={"limit": 5})

    ``signed_headers`` adds headers to the default ``content-type;host``.
    """

    requires_request_body = True

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        *,
        signed_headers: Iterable[str] = (),
        clock: Clock | None = None,
    ) -> None:
        self._credentials = Credentials(access_key, secret_key, "AkskAuth arguments")
        names = {h.lower() for h in (*DEFAULT_SIGNED_HEADERS, *signed_headers)}
        for name in names:
            check_header(name, "")
        self.signed_headers = tuple(sorted(names))
        self.clock = clock or Clock()

    @classmethod
    def from_credentials(
        cls,
        credentials: Credentials,
        *,
        signed_headers: Iterable[str] = (),
        clock: Clock | None = None,
    ) -> AkskAuth:
        auth = cls(
            credentials.access_key,
            credentials.secret_key,
            signed_headers=signed_headers,
            clock=clock,
        )
        auth._credentials = credentials  # keep where they came from (``source``)
        return auth

    @property
    def access_key(self) -> str:
        return self._credentials.access_key

    def __repr__(self) -> str:
        return f"AkskAuth(access_key={self.access_key!r}, signed_headers={self.signed_headers!r})"

    def sign(self, request: httpx.Request, timestamp: int | None = None) -> None:
        """Add the ``x-cnc-*`` and ``Authorization`` headers to ``request`` in place."""
        ts = str(int(self.clock.now()) if timestamp is None else timestamp)
        headers = request.headers
        headers.setdefault("Content-Type", "application/json")
        headers.setdefault("Accept", "application/json")
        headers["x-cnc-accessKey"] = self.access_key
        headers["x-cnc-timestamp"] = ts
        headers["x-cnc-auth-method"] = "AKSK"
        for name, value in headers.items():
            check_header(name, value)
        path, _, query = request.url.raw_path.partition(b"?")
        canonical = canonical_request(
            request.method, path, query, headers, self.signed_headers, request.content
        )
        sig = signature(self._credentials.secret_key, string_to_sign(ts, canonical))
        headers["Authorization"] = authorization(self.access_key, self.signed_headers, sig)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        response = yield request
        self.clock.observe(response)
