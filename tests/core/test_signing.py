"""Signer behaviour beyond the vectors: input checks, fresh signatures, clock correction."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest
import respx

from cdnetworks.core import AkskAuth, AuthenticationError, Clock, CredentialsError, ValidationError
from cdnetworks.core.signing import canonical_request, signature, string_to_sign
from tests.conftest import CANARY_SECRET, Mode

URL = "https://api.cdnetworks.com/vmp/images"


def verify(request: httpx.Request, secret: str = CANARY_SECRET) -> bool:
    """Recompute the signature the way a server would."""
    path, _, query = request.url.raw_path.partition(b"?")
    canonical = canonical_request(
        request.method, path, query, request.headers, ["content-type", "host"], request.content
    )
    expected = signature(secret, string_to_sign(request.headers["x-cnc-timestamp"], canonical))
    return request.headers["Authorization"].endswith(f"Signature={expected}")


@pytest.mark.parametrize("key", ["AK 1", "AK1\n", "\tAK1"])
def test_keys_with_whitespace_are_refused_without_echoing_them(key: str) -> None:
    with pytest.raises(CredentialsError, match="whitespace") as info:
        AkskAuth("AK1", key)
    assert key.strip() not in str(info.value) or key.strip() == "AK1"
    with pytest.raises(CredentialsError, match="access key"):
        AkskAuth(key, CANARY_SECRET)


@pytest.mark.parametrize("value", ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b"])
def test_header_values_with_cr_lf_nul_are_refused(value: str) -> None:
    request = httpx.Request("GET", URL, headers={"X-Trace": value})
    with pytest.raises(ValidationError, match="CR, LF or NUL") as info:
        AkskAuth("AK1", CANARY_SECRET).sign(request)
    assert (info.value.field or "").lower() == "x-trace"


def test_extra_signed_headers_are_lowercased_sorted_and_signed() -> None:
    auth = AkskAuth("AK1", CANARY_SECRET, signed_headers=["X-CNC-Trace", "Accept"])
    assert auth.signed_headers == ("accept", "content-type", "host", "x-cnc-trace")
    request = httpx.Request("GET", URL, headers={"X-CNC-Trace": "Abc"})
    auth.sign(request, timestamp=1764201600)
    assert "SignedHeaders=accept;content-type;host;x-cnc-trace," in request.headers["Authorization"]
    canonical = canonical_request(
        "GET", b"/vmp/images", b"", request.headers, auth.signed_headers, b""
    )
    assert b"x-cnc-trace:abc\n" in canonical  # values are lower-cased
    sig = signature(CANARY_SECRET, string_to_sign("1764201600", canonical))
    assert request.headers["Authorization"].endswith(sig)


def test_repr_shows_access_key_never_secret() -> None:
    auth = AkskAuth("AK1", CANARY_SECRET)
    assert "AK1" in repr(auth)
    assert CANARY_SECRET not in repr(auth)
    assert CANARY_SECRET not in repr(auth.__dict__.get("_credentials"))


def test_clock_adopts_a_skew_only_when_answers_agree_and_ignores_small_differences() -> None:
    clock = Clock()
    far = email.utils.formatdate(time.time() + 3600, usegmt=True)
    clock.observe(httpx.Response(200, headers={"Date": far}))
    assert clock.offset == 0.0  # one answer is a claim, not proof
    for _ in range(2):
        clock.observe(httpx.Response(200, headers={"Date": far}))
    assert 3590 < clock.offset < 3610
    near = email.utils.formatdate(time.time() + 5, usegmt=True)
    for _ in range(3):
        clock.observe(httpx.Response(200, headers={"Date": near}))
    assert clock.offset == 0.0
    clock.observe(httpx.Response(200, headers={"Date": "not a date"}))
    assert clock.offset == 0.0


def test_every_attempt_is_signed_anew(mode: Mode, respx_mock: respx.MockRouter) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503 if len(seen) < 3 else 200, json={})

    respx_mock.get(URL).mock(side_effect=answer)
    client = mode.client()
    ticks = iter(range(1764201600, 1764201700))
    client._auth.clock.now = lambda: float(next(ticks))
    mode.run(client.invoke, "GET", "/vmp/images")
    assert [r.headers["x-cnc-timestamp"] for r in seen] == [
        "1764201600",
        "1764201601",
        "1764201602",
    ]
    assert len({r.headers["Authorization"] for r in seen}) == 3
    assert all(verify(r) for r in seen)


def test_stale_timestamp_rejection_is_retried_once_with_the_servers_clock(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    server_now = time.time() + 900  # the server is 15 minutes ahead of us
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        date = email.utils.formatdate(server_now, usegmt=True)
        if abs(int(request.headers["x-cnc-timestamp"]) - server_now) > 300:
            return httpx.Response(
                401, json={"code": "TimestampExpired", "message": "stale"}, headers={"Date": date}
            )
        return httpx.Response(200, json={"ok": True}, headers={"Date": date})

    respx_mock.post(URL).mock(side_effect=answer)
    client = mode.client(retry=None)
    result = mode.run(client.invoke, "POST", "/vmp/images", json={"name": "x"})
    assert result.data == {"ok": True}
    assert len(seen) == 2  # even a POST: the first was refused at the door
    assert abs(int(seen[1].headers["x-cnc-timestamp"]) - server_now) < 5


def test_a_bad_signature_401_is_not_retried(mode: Mode, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(URL).mock(
        return_value=httpx.Response(
            401,
            json={"code": "SignatureDoesNotMatch", "message": "bad signature"},
            headers={"x-cnc-request-id": "rid-401", "Date": email.utils.formatdate(usegmt=True)},
        )
    )
    client = mode.client()
    with pytest.raises(AuthenticationError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert route.call_count == 1
    err = info.value
    assert (err.status_code, err.code, err.request_id, err.attempts) == (
        401,
        "SignatureDoesNotMatch",
        "rid-401",
        1,
    )
    assert CANARY_SECRET not in str(err) and CANARY_SECRET not in repr(err)


def test_akskauth_on_a_users_own_httpx_client_passes_the_emulators_check() -> None:
    from cdnetworks.core.emulator import Emulator

    emulator = Emulator()
    endpoint = emulator.client_kwargs()["endpoint"]
    good = AkskAuth("AKEMULATOR", "sk-emulator")
    with httpx.Client(base_url=endpoint, transport=emulator.transport(), auth=good) as http:
        # httpx itself encodes the space as '+': the signer reads it the way Go's server does.
        answer = http.get("/vmp/images", params={"limit": 2, "name": "no such image+1"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["images"] == []
        created = http.post("/vmp/images", json={"name": "mine", "instanceUuid": "vm-1"})
        assert created.status_code == 200, created.text
    bad = AkskAuth("AKEMULATOR", CANARY_SECRET)
    with httpx.Client(base_url=endpoint, transport=emulator.transport(), auth=bad) as http:
        refused = http.get("/vmp/images")
    assert refused.status_code == 401
    assert refused.json()["code"] == "SignatureDoesNotMatch"


def test_headers_in_an_encoding_the_fast_path_does_not_know_are_signed_the_same() -> None:
    """Header encodings other than ASCII, UTF-8 and Latin-1 go through httpx's public API."""
    fast = httpx.Request("GET", URL + "?a=%20b", headers={"X-Trace": "Abc"})
    slow = httpx.Request("GET", URL + "?a=%20b", headers={"X-Trace": "Abc"})
    slow.headers.encoding = "cp1252"
    auth = AkskAuth("AK1", CANARY_SECRET)
    auth.sign(fast, timestamp=1764201600)
    auth.sign(slow, timestamp=1764201600)
    assert fast.headers.raw == slow.headers.raw
    assert verify(slow)
