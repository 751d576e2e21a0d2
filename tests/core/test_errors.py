"""Every error class, with status, API code, message, request id, attempts and action."""

from __future__ import annotations

import httpx
import pytest
import respx

from cdnetworks.core import (
    ApiError,
    AuthenticationError,
    AuthError,
    BusinessError,
    CdnetworksError,
    DecodeError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    ThrottledError,
    TransportError,
)
from tests.conftest import Mode

URL = "https://api.cdnetworks.com/vmp/images"
RID = {"x-cnc-request-id": "rid-42"}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ApiError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ApiError),
        (429, ThrottledError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_maps_to_class(
    mode: Mode, respx_mock: respx.MockRouter, status: int, cls: type[ApiError]
) -> None:
    respx_mock.post(URL).mock(
        return_value=httpx.Response(
            status, json={"code": "E123", "message": "went wrong"}, headers=RID
        )
    )
    client = mode.client()
    with pytest.raises(cls) as info:
        mode.run(client.invoke, "POST", "/vmp/images", json={"name": "n"})
    err = info.value
    assert type(err) is cls
    assert (err.status_code, err.code, err.message, err.request_id, err.attempts, err.action) == (
        status,
        "E123",
        "went wrong",
        "rid-42",
        1,
        "POST /vmp/images",
    )
    assert isinstance(err, CdnetworksError)
    assert "request_id=rid-42" in str(err) and "status=" in str(err)


def test_auth_errors_share_a_base() -> None:
    assert issubclass(AuthenticationError, AuthError) and issubclass(
        PermissionDeniedError, AuthError
    )


def test_2xx_with_failing_envelope_code_is_a_business_error(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    respx_mock.put(URL + "/preHeating").mock(
        return_value=httpx.Response(
            200, json={"code": "1001", "message": "image not private", "data": None}, headers=RID
        )
    )
    client = mode.client()
    with pytest.raises(BusinessError) as info:
        mode.run(client.invoke, "PUT", "/vmp/images/preHeating", json={"imageId": "i"})
    err = info.value
    assert (err.status_code, err.code, err.message, err.request_id) == (
        200,
        "1001",
        "image not private",
        "rid-42",
    )
    assert err.attempts == 1  # a business refusal is an answer: never retried


def test_envelope_code_zero_in_any_form_is_success(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(URL).mock(
        side_effect=[httpx.Response(200, json={"code": 0}), httpx.Response(200, json={"code": "0"})]
    )
    client = mode.client()
    assert mode.run(client.invoke, "GET", "/vmp/images").data == {"code": 0}
    assert mode.run(client.invoke, "GET", "/vmp/images").data == {"code": "0"}


@pytest.mark.parametrize(
    "body", [b"<html><body>Gateway</body></html>", b'{"images": [', b"not json at all"]
)
def test_undecodable_2xx_keeps_status_request_id_and_first_bytes(
    mode: Mode, respx_mock: respx.MockRouter, body: bytes
) -> None:
    respx_mock.get(URL).mock(return_value=httpx.Response(200, content=body, headers=RID))
    client = mode.client()
    with pytest.raises(DecodeError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    err = info.value
    assert (err.status_code, err.request_id) == (200, "rid-42")
    assert err.body == body[:512]
    assert repr(body[:10])[2:-1] in str(err)


def test_empty_2xx_body_is_none_for_invoke(mode: Mode, respx_mock: respx.MockRouter) -> None:
    respx_mock.delete(URL + "/img-1").mock(return_value=httpx.Response(200, headers=RID))
    client = mode.client()
    result = mode.run(client.invoke, "DELETE", "/vmp/images/img-1", json={"imageId": "img-1"})
    assert result.data is None and result.request_id == "rid-42" and result.status_code == 200


def test_html_error_page_and_empty_error_body(mode: Mode, respx_mock: respx.MockRouter) -> None:
    respx_mock.post(URL).mock(
        side_effect=[
            httpx.Response(502, text="<html><h1>502 Bad Gateway</h1></html>"),
            httpx.Response(500),
        ]
    )
    client = mode.client()
    with pytest.raises(ServerError) as info:
        mode.run(client.invoke, "POST", "/vmp/images", json={})
    assert info.value.code is None
    assert "HTTP 502 Bad Gateway: <html><h1>502 Bad Gateway</h1></html>" in info.value.message
    with pytest.raises(ServerError) as info:
        mode.run(client.invoke, "POST", "/vmp/images", json={})
    assert "HTTP 500 Internal Server Error (empty body)" in info.value.message


def test_unsupported_protocol_is_a_transport_error_not_retried(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(URL).mock(side_effect=httpx.UnsupportedProtocol("nope"))
    client = mode.client()
    with pytest.raises(TransportError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert route.call_count == 1 and info.value.attempts == 1


def test_a_body_that_will_not_decode_keeps_status_and_request_id(mode: Mode) -> None:
    # MockTransport streams the body like a real transport (respx reads it eagerly).
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200,
            stream=httpx.ByteStream(b"not gzip at all"),
            headers={**RID, "content-encoding": "gzip"},
        )
    )
    client = mode.client(transport=transport)
    with pytest.raises(DecodeError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    err = info.value
    assert (err.status_code, err.request_id, err.attempts) == (200, "rid-42", 1)
    assert "Content-Encoding (gzip) could not be decoded" in str(err)


def test_a_body_cut_short_keeps_status_and_request_id(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    class CutShort(httpx.SyncByteStream, httpx.AsyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield b'{"images": ['
            raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b'{"images": ['
            raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    respx_mock.get(URL).mock(
        side_effect=lambda request: httpx.Response(200, stream=CutShort(), headers=RID)
    )
    client = mode.client(max_attempts=2)
    with pytest.raises(TransportError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    err = info.value
    assert type(err).__name__ == "ProtocolError"
    assert (err.status_code, err.request_id, err.attempts) == (200, "rid-42", 2)
    assert "HTTP 200, then RemoteProtocolError" in err.history[0].reason
    assert err.history[0].status_code == 200
