"""Properties of the signer over arbitrary methods, paths, queries, headers, bodies and keys."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdnetworks.core import AkskAuth, CredentialsError, ValidationError
from cdnetworks.core.signing import EMPTY_SHA256, canonical_request
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
