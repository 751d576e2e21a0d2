"""AK/SK request signing (CNC-HMAC-SHA256), byte-compatible with the official Go SDK.

`AkskAuth` is an ``httpx.Auth``: it signs in ``auth_flow``, which httpx runs on the final
request, over exactly the bytes that go out, once per attempt. The pure functions below it
(`canonical_request`, `string_to_sign`, `signature`) are the algorithm itself,
exposed so tests and the emulator verify signatures with the same code.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import threading
import time
from collections.abc import Generator, Iterable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import NamedTuple
from urllib.parse import unquote_to_bytes

import httpx

from .credentials import Credentials
from .errors import ValidationError
from .internals import header_triples

ALGORITHM = "CNC-HMAC-SHA256"
DEFAULT_SIGNED_HEADERS = ("content-type", "host")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
#: Below this, a difference between our clock and the server's ``Date`` is noise
#: (``Date`` has one-second resolution; the server accepts five minutes).
CLOCK_SKEW_THRESHOLD = 30.0
#: The largest clock offset the signer adopts; a ``Date`` further away is not believed.
MAX_CLOCK_OFFSET = 86400.0
#: A 401 whose ``Date`` is this far from the timestamp we signed with was a clock-skew rejection
#: (the API accepts five minutes).
STALE_TIMESTAMP = 240.0
#: Answers in a row that must agree before a new offset is adopted without a 401's proof.
AGREEMENT = 3

log = logging.getLogger("cdnetworks")

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_FIELD_VALUE = re.compile(r"^[\t\x20-\x7e]*$")
#: The same two character sets as bytes, for checking a request's raw headers all at once with
#: ``bytes.translate`` (what is left after deleting the allowed bytes must be nothing).
_TOKEN_BYTES = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_FIELD_VALUE_BYTES = bytes([0x09, *range(0x20, 0x7F)])
_SIGNER_HEADERS = frozenset({b"x-cnc-accesskey", b"x-cnc-timestamp", b"x-cnc-auth-method"})
_CONTENT_TYPE = (b"Content-Type", b"content-type", b"application/json")
_ACCEPT = (b"Accept", b"accept", b"application/json")
_EMPTY_SHA256_BYTES = EMPTY_SHA256.encode()


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


_UTC = timezone.utc
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_IMF_FIXDATE = re.compile(
    r"[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT"
)


@functools.lru_cache(maxsize=16)
def http_date_timestamp(value: str) -> float | None:
    """The POSIX time of an HTTP ``Date`` value, or ``None`` when it is not a date.

    Servers send the IMF-fixdate form (``Sun, 06 Nov 1994 08:49:37 GMT``), which is parsed
    here directly, several times faster than ``email.utils``; every other form goes through
    ``email.utils.parsedate_to_datetime`` and gives exactly what it gives. Every answer carries
    a ``Date`` and it changes once a second, so the last few are remembered.
    """
    match = _IMF_FIXDATE.fullmatch(value)
    if match is not None:
        day, month, year, hour, minute, second = match.groups()
        number = _MONTHS.get(month)
        if number is not None:
            try:  # datetime refuses what email.utils refuses (30 February, second 60)
                return datetime(
                    int(year), number, int(day), int(hour), int(minute), int(second), tzinfo=_UTC
                ).timestamp()
            except ValueError:
                pass
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class _SigningKeys(NamedTuple):
    """What every signature of one credentials pair repeats, computed once."""

    credentials: Credentials
    signed_headers: tuple[str, ...]
    #: Keyed with the secret once; each signature copies it (a copy is not keyed anew).
    mac: hmac.HMAC
    access_key: bytes
    #: ``b"content-type:"``-style prefixes of the canonical header lines, in signing order.
    line_prefixes: tuple[tuple[bytes, bytes], ...]
    signed_list: bytes
    authorization_prefix: bytes


def _put(
    entries: list[tuple[bytes, bytes, bytes]],
    lowers: list[bytes],
    entry: tuple[bytes, bytes, bytes],
) -> None:
    """Set a header in httpx's triples as ``Headers.__setitem__`` does: the first occurrence
    replaced in place, later ones dropped, appended when absent. ``lowers`` follows along."""
    name = entry[1]
    count = lowers.count(name)
    if count == 0:
        entries.append(entry)
        lowers.append(name)
        return
    first = lowers.index(name)
    if count > 1:
        entries[:] = [e for i, e in enumerate(entries) if e[1] != name or i == first]
        lowers[:] = [e[1] for e in entries]
    entries[first] = entry


class Clock:
    """Wall-clock time for ``x-cnc-timestamp``, corrected by the offset the server's ``Date`` shows.

    A ``Date`` header is only a claim, and one bad answer (a proxy dated 1970) must not stamp
    every later request of every thread with a wrong time. So the offset moves only when

    * the server's time is plausible: within `MAX_CLOCK_OFFSET` (a day) of the local clock; and
    * the answer proves the server judged our timestamp: a 401 whose ``Date`` is more than
      `STALE_TIMESTAMP` away from the timestamp it rejected; or `AGREEMENT` answers in a row
      agree (within `CLOCK_SKEW_THRESHOLD`) on the same new offset.

    Offsets under `CLOCK_SKEW_THRESHOLD` count as zero. An implausible ``Date`` is refused and
    logged once per clock. Shared safely between threads and tasks.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        #: The offset recent answers suggest, and how many in a row have agreed on it.
        self._candidate: float | None = None
        self._votes = 0
        self._refusal_logged = False

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> float:
        return time.time() + self._offset

    @staticmethod
    def rejected_stale_timestamp(response: httpx.Response) -> bool:
        """Whether ``response`` is a 401 whose plausible ``Date`` shows our timestamp was out of
        the server's window (so signing again with the server's time will pass)."""
        if response.status_code != 401:
            return False
        sent = response.request.headers.get("x-cnc-timestamp") if _has_request(response) else None
        server = _server_time(response)
        if not sent or server is None or abs(server - time.time()) > MAX_CLOCK_OFFSET:
            return False
        try:
            return abs(server - int(sent)) > STALE_TIMESTAMP
        except ValueError:
            return False

    def observe(self, response: httpx.Response) -> None:
        server = _server_time(response)
        if server is None:
            return
        skew = server - time.time()
        if abs(skew) > MAX_CLOCK_OFFSET:
            self._refuse(response, skew)
            return
        target = skew if abs(skew) >= CLOCK_SKEW_THRESHOLD else 0.0
        proven = self.rejected_stale_timestamp(response)
        with self._lock:
            if proven or abs(target - self._offset) < CLOCK_SKEW_THRESHOLD:
                if proven:
                    self._offset = target
                self._candidate, self._votes = None, 0
                return
            if self._candidate is not None and abs(target - self._candidate) < CLOCK_SKEW_THRESHOLD:
                self._votes += 1
            else:
                self._candidate, self._votes = target, 1
            if self._votes >= AGREEMENT:
                self._offset = target
                self._candidate, self._votes = None, 0

    def _refuse(self, response: httpx.Response, skew: float) -> None:
        with self._lock:
            if self._refusal_logged:
                return
            self._refusal_logged = True
        log.warning(
            "ignoring the Date header %r of an answer from %s: it is %.0f s from the local "
            "clock, more than the %.0f s the signer will correct for; timestamps keep the "
            "local clock (this is logged once)",
            response.headers.get("date"),
            response.request.url.host if _has_request(response) else "the server",
            skew,
            MAX_CLOCK_OFFSET,
        )


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 - raises when the response was built without one
    except RuntimeError:
        return False
    return True


def _server_time(response: httpx.Response) -> float | None:
    date = response.headers.get("date")
    return http_date_timestamp(date) if date else None


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
        self._signing_keys: _SigningKeys | None = None

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
        entries = header_triples(headers)
        if entries is not None:
            self._sign_raw(request, headers, entries, ts)
        else:  # not httpx's header storage as we know it: the public API only
            self._sign_public(request, ts)

    def _keys(self) -> _SigningKeys:
        keys = self._signing_keys
        if (
            keys is None
            or keys.credentials is not self._credentials
            or keys.signed_headers is not self.signed_headers
        ):
            credentials, names = self._credentials, self.signed_headers
            signed_list = ";".join(names)
            keys = self._signing_keys = _SigningKeys(
                credentials,
                names,
                hmac.new(credentials.secret_key.encode("utf-8"), digestmod="sha256"),
                credentials.access_key.encode("ascii"),
                tuple((n.encode("ascii"), n.encode("ascii") + b":") for n in names),
                signed_list.encode("ascii"),
                authorization(credentials.access_key, names, "").encode("ascii"),
            )
        return keys

    def _sign_raw(
        self,
        request: httpx.Request,
        headers: httpx.Headers,
        entries: list[tuple[bytes, bytes, bytes]],
        ts: str,
    ) -> None:
        """`sign` over httpx's own ``(name, lower-case name, value)`` byte triples.

        Byte for byte what `_sign_public` does (the vectors and property tests hold it to
        that), without decoding, lower-casing and re-encoding every header several times and
        without scanning the header list once per header set: one signature costs a few
        microseconds instead of about twenty.
        """
        keys = self._keys()
        stamp = ts.encode("ascii")
        lowers = [entry[1] for entry in entries]
        if b"content-type" not in lowers:
            entries.append(_CONTENT_TYPE)
            lowers.append(b"content-type")
        if b"accept" not in lowers:
            entries.append(_ACCEPT)
            lowers.append(b"accept")
        if _SIGNER_HEADERS.isdisjoint(lowers):
            entries += (
                (b"x-cnc-accessKey", b"x-cnc-accesskey", keys.access_key),
                (b"x-cnc-timestamp", b"x-cnc-timestamp", stamp),
                (b"x-cnc-auth-method", b"x-cnc-auth-method", b"AKSK"),
            )
            lowers += (b"x-cnc-accesskey", b"x-cnc-timestamp", b"x-cnc-auth-method")
        else:  # signed before (a request signed again)
            _put(entries, lowers, (b"x-cnc-accessKey", b"x-cnc-accesskey", keys.access_key))
            _put(entries, lowers, (b"x-cnc-timestamp", b"x-cnc-timestamp", stamp))
            _put(entries, lowers, (b"x-cnc-auth-method", b"x-cnc-auth-method", b"AKSK"))
        values = [entry[2] for entry in entries]
        # Every name a token, every value printable ASCII: one pass in C over all of them.
        # Only a request that fails is checked header by header, for the precise error.
        if (
            b"".join(lowers).translate(None, _TOKEN_BYTES)
            or b"".join(values).translate(None, _FIELD_VALUE_BYTES)
            or not all(lowers)
        ):
            for text_name, text_value in headers.items():
                check_header(text_name, text_value)
        lines = []
        for name, prefix in keys.line_prefixes:
            count = lowers.count(name)
            if count == 1:
                value = values[lowers.index(name)]
            else:  # absent (signed as empty), or repeated (signed joined, as httpx joins it)
                value = b", ".join([v for n, v in zip(lowers, values, strict=True) if n == name])
            lines.append(prefix + value.lower() + b"\n")
        method = request.method.upper()
        path, _, query = request.url.raw_path.partition(b"?")
        if method == "POST":
            query = b""
        elif b"%" in query or b"+" in query:
            query = canonical_query(query)
        body = request.content
        canonical = b"\n".join(
            (
                method.encode(),
                path,
                query,
                b"".join(lines),
                keys.signed_list,
                hashlib.sha256(body).hexdigest().encode() if body else _EMPTY_SHA256_BYTES,
            )
        )
        mac = keys.mac.copy()
        mac.update(
            b"CNC-HMAC-SHA256\n%b\n%b" % (stamp, hashlib.sha256(canonical).hexdigest().encode())
        )
        signed = keys.authorization_prefix + mac.hexdigest().encode()
        _put(entries, lowers, (b"Authorization", b"authorization", signed))

    def _sign_public(self, request: httpx.Request, ts: str) -> None:
        """`sign` through httpx's public ``Headers`` API only (the reference for `_sign_raw`)."""
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
