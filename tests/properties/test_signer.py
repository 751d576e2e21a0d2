"""Properties of the signer over arbitrary methods, paths, queries, headers, bodies and keys."""

from __future__ import annotations

import email.utils
import hashlib
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdnetworks.core import AkskAuth, CredentialsError, ValidationError
from cdnetworks.core.signing import EMPTY_SHA256, canonical_request, http_date_timestamp
from tests.conftest import CANARY_SECRET
from tests.reference_signer import assert_signed, expected_signature

EXAMPLES = settings(max_examples=60, deadline=None)

#: Any Unicode text, lone surrogates included (hypothesis leaves them out by default).
ANY_TEXT = (
    st.text(st.characters(exclude_categories=()), max_size=40)
    | st.sampled_from(["\ud800", "a\udfffb", "\x00", "\r\nX-Injected: 1", "é中🙂", "+ %2B&=#?/"])
    | st.integers(min_value=30_000, max_value=100_000).map(lambda n: "k" * n)
)
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"])
#: Secrets that are valid text (the signer keys the HMAC with their UTF-8 bytes).
SECRETS = st.text(
    st.characters(exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=300
)
ACCESS_KEYS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)
SEGMENTS = st.lists(st.text(st.characters(codec="utf-8"), max_size=12), max_size=4)
QUERY = st.lists(
    st.tuples(st.text(max_size=8), st.text(st.characters(codec="utf-8"), max_size=20)),
    max_size=5,
)


def _url(segments: list[str], query: list[tuple[str, str]]) -> httpx.URL:
    path = "/" + "/".join(quote(s, safe="") for s in segments)
    q = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)
    raw = path.encode() + (b"?" + q.encode() if q else b"")
    return httpx.URL("https://api.cdnetworks.com:8443").copy_with(raw_path=raw)


@EXAMPLES
@given(
    method=METHODS,
    segments=SEGMENTS,
    query=QUERY,
    body=st.binary(max_size=2000),
    access_key=ACCESS_KEYS,
    secret=SECRETS,
    extra=st.lists(st.sampled_from(["accept", "x-cnc-timestamp", "user-agent"]), unique=True),
)
def test_signature_round_trips(
    method: str,
    segments: list[str],
    query: list[tuple[str, str]],
    body: bytes,
    access_key: str,
    secret: str,
    extra: list[str],
) -> None:
    """What the signer sends verifies under an independent reading of the spec, and only
    under the right secret; any change to the signed parts breaks the signature."""
    auth = AkskAuth(access_key, secret, signed_headers=extra)
    request = httpx.Request(method, _url(segments, query), content=body or None)
    auth.sign(request)
    assert_signed(request, access_key, secret)
    signed = request.headers["authorization"].rsplit("Signature=", 1)[1]
    assert expected_signature(request, secret + "x") != signed
    tampered = httpx.Request(
        method, request.url, headers=request.headers, content=(body or b"") + b"!"
    )
    assert expected_signature(tampered, secret) != signed


@EXAMPLES
@given(
    method=METHODS,
    path=st.binary(min_size=1, max_size=200).map(lambda b: b"/" + b),
    query=st.binary(max_size=200),
    headers=st.dictionaries(
        st.sampled_from(["content-type", "host", "x-a", "X-B"]), st.text(max_size=30)
    ),
    signed=st.lists(st.sampled_from(["content-type", "host", "x-a", "x-b"]), unique=True),
    body=st.binary(max_size=500),
)
def test_canonical_request_shape(
    method: str,
    path: bytes,
    query: bytes,
    headers: dict[str, str],
    signed: list[str],
    body: bytes,
) -> None:
    """Method first, raw path verbatim, no query for POST, one lower-cased line per signed
    header, the sorted list, the body hash last."""
    canonical = canonical_request(method, path, query, headers, signed, body)
    head, _, rest = canonical.partition(b"\n")
    assert head == method.encode()
    assert rest.startswith(path + b"\n")
    digest = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    assert canonical.endswith(b"\n" + ";".join(sorted(signed)).encode() + b"\n" + digest.encode())
    after_path = rest[len(path) + 1 :]
    if method == "POST":
        assert after_path.startswith(b"\n")
    lowered = {k.lower(): v for k, v in headers.items()}
    block = "".join(f"{n}:{lowered.get(n, '').lower()}\n" for n in sorted(signed)).encode()
    assert block in canonical


@EXAMPLES
@given(access_key=ANY_TEXT, secret=ANY_TEXT, canary=st.booleans())
def test_any_key_pair_is_accepted_or_refused_up_front(
    access_key: str, secret: str, canary: bool
) -> None:
    """Keys either sign a request that verifies, or are refused when the signer is made,
    without the secret in the message."""
    if canary:
        secret = CANARY_SECRET + secret
    try:
        auth = AkskAuth(access_key, secret)
    except CredentialsError as exc:
        refusal = f"{exc} {exc!r}"
        assert CANARY_SECRET not in refusal
        return
    request = httpx.Request("GET", "https://api.cdnetworks.com/vmp/images?limit=1")
    auth.sign(request)
    assert_signed(request, access_key, secret)


@EXAMPLES
@given(name=ANY_TEXT)
def test_signed_header_names_must_be_tokens(name: str) -> None:
    try:
        auth = AkskAuth("AK", "sk", signed_headers=[name])
    except ValidationError as exc:
        field = exc.field
        assert field == name.lower()
        return
    assert name.lower() in auth.signed_headers
    assert name.isascii()


@pytest.mark.parametrize("timestamp", [0, 1, 2**31, 10**12])
def test_timestamps_of_any_size_sign(timestamp: int) -> None:
    auth = AkskAuth("AK", "sk")
    request = httpx.Request("GET", "https://api.cdnetworks.com/x")
    auth.sign(request, timestamp=timestamp)
    assert request.headers["x-cnc-timestamp"] == str(timestamp)
    signed = request.headers["authorization"].rsplit("Signature=", 1)[1]
    assert signed == expected_signature(request, "sk")


HEADER_NAMES = st.sampled_from(
    [
        "Content-Type",
        "content-type",
        "Host",
        "Accept",
        "x-cnc-accessKey",
        "X-CNC-TIMESTAMP",
        "x-cnc-auth-method",
        "Authorization",
        "X-Trace",
        "x-trace",
        "User-Agent",
        "bad name",
        "",
    ]
)
HEADER_VALUES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20) | (
    st.sampled_from(["", "Mixed Case", "a\tb", "é", "a\r\nb", "a\x00b", "\x7f"])
)


def _two_copies(
    url: httpx.URL, method: str, pairs: list[tuple[str, str]], body: bytes
) -> tuple[httpx.Request, httpx.Request]:
    def make() -> httpx.Request:
        request = httpx.Request(method, url, content=body or None)
        # Appended one by one, so names may repeat in any case, as a user's headers can.
        for name, value in pairs:
            request.headers._list.append(
                (name.encode("utf-8"), name.lower().encode("utf-8"), value.encode("utf-8"))
            )
        return request

    return make(), make()


def _signed_or_refused(
    sign: Callable[[httpx.Request, str], None], request: httpx.Request
) -> object:
    try:
        sign(request, "1764201600")
    except ValidationError as exc:
        return ("refused", str(exc), exc.field)
    return request.headers.raw


@EXAMPLES
@given(
    method=METHODS,
    segments=SEGMENTS,
    query=QUERY,
    pairs=st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=8),
    body=st.binary(max_size=100),
    extra=st.lists(st.sampled_from(["accept", "x-trace", "x-cnc-timestamp"]), unique=True),
    twice=st.booleans(),
)
def test_fast_signer_is_the_public_api_signer_byte_for_byte(
    method: str,
    segments: list[str],
    query: list[tuple[str, str]],
    pairs: list[tuple[str, str]],
    body: bytes,
    extra: list[str],
    twice: bool,
) -> None:
    """Signing over httpx's raw header triples gives exactly the headers, in the same order,
    that signing through the public ``Headers`` API gives, or the same refusal; also for
    repeated and differently cased names, headers the signer sets itself, and a request
    signed a second time."""
    auth = AkskAuth("AK1", CANARY_SECRET, signed_headers=extra)
    fast, public = _two_copies(_url(segments, query), method, pairs, body)
    rounds = 2 if twice else 1
    for _ in range(rounds):
        got = _signed_or_refused(
            lambda r, ts: auth._sign_raw(r, r.headers, r.headers._list, ts), fast
        )
        want = _signed_or_refused(auth._sign_public, public)
        assert got == want


@EXAMPLES
@given(
    value=st.integers(min_value=-(2**34), max_value=2**34).map(
        lambda t: email.utils.formatdate(t, usegmt=True)
    )
    | st.sampled_from(
        [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 30 Feb 2020 00:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:60 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 +0100",
            "not a date",
            "",
        ]
    )
    | st.text(max_size=40),
)
def test_http_dates_parse_as_email_utils_parses_them(value: str) -> None:
    try:
        expected: float | None = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        expected = None
    assert http_date_timestamp(value) == expected
