"""The emulator checks every request's AK/SK signature and timestamp like the gateway does."""

from __future__ import annotations

import json

import httpx
import pytest

from cdnetworks.core import AkskAuth, AuthenticationError, RetryPolicy, RetryQuota
from cdnetworks.core.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator
from tests.conftest import Mode

from .conftest import NO_RETRY, Wire, make_emulator


def _signed(
    emu: Emulator, method: str, path: str, body: bytes = b"", **headers: str
) -> httpx.Request:
    request = httpx.Request(
        method, f"http://emulator.localhost{path}", content=body, headers=headers or None
    )
    AkskAuth(emu.access_key, emu.secret_key, clock=None).sign(request, int(emu.now()))
    return request


def _send(emu: Emulator, request: httpx.Request) -> httpx.Response:
    with httpx.Client(transport=emu.transport()) as http:
        return http.send(request)


def test_defaults_are_documented_keys() -> None:
    emu = Emulator(services=[])
    assert (emu.access_key, emu.secret_key) == (DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
    assert (DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY) == ("AKEMULATOR", "sk-emulator")
    assert "sk-emulator" not in repr(emu)


def test_wrong_secret_is_rejected_with_401(mode: Mode, emu: Emulator) -> None:
    wire = Wire(mode, emu, secret_key="sk-not-the-one", retry=NO_RETRY)
    with pytest.raises(AuthenticationError) as caught:
        wire("GET", "/vmp/images")
    error = caught.value
    assert error.status_code == 401
    assert error.code == "SignatureDoesNotMatch"
    assert "does not match" in error.message
    assert error.request_id
    assert [e.status for e in emu.exchanges] == [401]


def test_unknown_access_key_is_rejected(mode: Mode, emu: Emulator) -> None:
    wire = Wire(mode, emu, access_key="AKSOMEONEELSE", retry=NO_RETRY)
    with pytest.raises(AuthenticationError) as caught:
        wire("GET", "/vmp/images")
    assert caught.value.code == "InvalidAccessKeyId"
    assert "AKSOMEONEELSE" in caught.value.message


@pytest.mark.parametrize("offset", [-301.0, 301.0])
def test_timestamp_outside_five_minutes_is_rejected(mode: Mode, offset: float) -> None:
    emu = make_emulator()
    emu.advance(offset)  # the server's clock is now 5 min + 1 s away from the client's
    wire = Wire(mode, emu, retry=NO_RETRY)
    with pytest.raises(AuthenticationError) as caught:
        wire("GET", "/vmp/images")
    assert caught.value.code == "RequestTimeTooSkewed"
    assert "300 s" in caught.value.message


def test_timestamp_inside_the_window_is_accepted(mode: Mode) -> None:
    emu = make_emulator()
    emu.advance(-290)
    assert Wire(mode, emu, retry=NO_RETRY)("GET", "/vmp/images").status_code == 200


def test_client_corrects_its_clock_from_the_date_header(mode: Mode) -> None:
    # The emulator's Date follows its own clock, so a skewed client learns the offset from the
    # 401 and its retry, signed with the corrected time, goes through.
    emu = make_emulator()
    emu.advance(600)
    wire = Wire(mode, emu, retry=RetryPolicy(base_delay=0, max_delay=0, quota=RetryQuota()))
    result = wire("GET", "/vmp/images")
    assert result.status_code == 200
    assert [e.status for e in emu.exchanges] == [401, 200]


def test_tampered_body_is_rejected(emu: Emulator) -> None:
    body = b'{"name":"web","imageSrcUrl":"https://x/a.qcow2","ostype":"linux"}'
    signed = _signed(emu, "POST", "/vmp/images", body, **{"Content-Type": "application/json"})
    assert _send(emu, signed).status_code == 200
    tampered = httpx.Request(
        "POST", signed.url, headers=signed.headers, content=body.replace(b"web", b"evil")
    )
    response = _send(emu, tampered)
    assert response.status_code == 401
    assert response.json()["code"] == "SignatureDoesNotMatch"
    assert response.headers["x-cnc-request-id"]


def test_tampered_query_and_path_are_rejected(emu: Emulator) -> None:
    signed = _signed(emu, "GET", "/vmp/images?limit=5")
    assert _send(emu, signed).status_code == 200
    for url in (
        "http://emulator.localhost/vmp/images?limit=500",
        "http://emulator.localhost/vmp/imagez?limit=5",
    ):
        forged = httpx.Request("GET", url, headers=signed.headers)
        response = _send(emu, forged)
        assert response.status_code == 401, url
        assert response.json()["code"] == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    ("drop", "code"),
    [
        ("authorization", "MissingAuthorization"),
        ("x-cnc-timestamp", "InvalidTimestamp"),
        ("x-cnc-accesskey", "InvalidAuthorization"),
        ("x-cnc-auth-method", "InvalidAuthorization"),
    ],
)
def test_missing_auth_headers_are_named(emu: Emulator, drop: str, code: str) -> None:
    signed = _signed(emu, "GET", "/vmp/images")
    del signed.headers[drop]
    response = _send(emu, signed)
    assert response.status_code == 401
    assert response.json()["code"] == code


def test_signed_headers_must_cover_content_type_and_host(emu: Emulator) -> None:
    signed = _signed(emu, "GET", "/vmp/images")
    signed.headers["Authorization"] = signed.headers["Authorization"].replace(
        "SignedHeaders=content-type;host", "SignedHeaders=host"
    )
    response = _send(emu, signed)
    assert response.status_code == 401
    assert "content-type" in response.json()["message"]


def test_extra_signed_headers_are_verified(mode: Mode, emu: Emulator) -> None:
    wire = Wire(mode, emu, headers={"x-trace": "abc"}, signed_headers=["x-trace"], retry=NO_RETRY)
    assert wire("GET", "/vmp/images").status_code == 200


def test_replays_refused_only_when_asked() -> None:
    lenient = make_emulator()
    signed = _signed(lenient, "GET", "/vmp/images")
    assert [_send(lenient, signed).status_code for _ in range(2)] == [200, 200]

    strict = make_emulator(reject_replays=True)
    signed = _signed(strict, "GET", "/vmp/images")
    first, second = _send(strict, signed), _send(strict, signed)
    assert first.status_code == 200
    assert second.status_code == 401
    assert json.loads(second.content)["code"] == "RequestReplayed"
    strict.advance(301)  # the remembered signature expires with the window
    fresh = _signed(strict, "GET", "/vmp/images")
    assert _send(strict, fresh).status_code == 200


def test_second_account_signs_with_its_own_keys(mode: Mode, emu: Emulator) -> None:
    emu.add_account("AKSECOND", "sk-second")
    wire = Wire(mode, emu, access_key="AKSECOND", secret_key="sk-second", retry=NO_RETRY)
    assert wire("GET", "/vmp/images").status_code == 200
    assert emu.exchanges[-1].account == "AKSECOND"
    crossed = Wire(mode, emu, access_key="AKSECOND", secret_key="sk-emulator", retry=NO_RETRY)
    with pytest.raises(AuthenticationError):
        crossed("GET", "/vmp/images")
