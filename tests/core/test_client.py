"""The generic client: invoke, encoding on the wire, configuration and its safety checks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from cdnetworks.core import (
    AsyncClient,
    Client,
    ConfigurationError,
    Result,
    ValidationError,
    __version__,
)
from tests.conftest import ACCESS_KEY, CANARY_SECRET, Mode

URL = "https://api.cdnetworks.com/vmp/images"


def test_invoke_returns_data_and_request_id(mode: Mode, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).mock(
        return_value=httpx.Response(200, json={"images": []}, headers={"x-cnc-request-id": "rid-1"})
    )
    client = mode.client()
    result = mode.run(client.invoke, "get", "/vmp/images")
    assert isinstance(result, Result)
    assert (result.data, result.request_id, result.status_code) == ({"images": []}, "rid-1", 200)
    assert result.headers["x-cnc-request-id"] == "rid-1"


def test_query_is_sorted_encoded_without_plus_and_drops_none(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(url__startswith=URL).mock(return_value=httpx.Response(200, json={}))
    client = mode.client()
    params = {
        "name": "web server+1",
        "limit": 5,
        "marker": None,
        "type": "CUSTOM",
        "ok": True,
        "ids": ["a", "b"],
    }
    mode.run(client.invoke, "GET", "/vmp/images", params=params)
    raw = route.calls.last.request.url.raw_path.decode()
    assert raw == "/vmp/images?ids=a%2Cb&limit=5&name=web%20server%2B1&ok=true&type=CUSTOM"
    assert "+" not in raw


def test_body_is_exact_json_and_signed(mode: Mode, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(URL).mock(return_value=httpx.Response(200, json={"id": "x"}))
    client = mode.client()
    mode.run(client.invoke, "POST", "/vmp/images", json={"name": "镜像", "minDisk": 40})
    request = route.calls.last.request
    assert request.content == '{"name":"镜像","minDisk":40}'.encode()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-cnc-accesskey"] == ACCESS_KEY
    assert request.headers["x-cnc-auth-method"] == "AKSK"
    assert request.headers["authorization"].startswith(f"CNC-HMAC-SHA256 Credential={ACCESS_KEY}, ")


def test_user_agent_names_versions_and_suffix(mode: Mode, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(URL).mock(return_value=httpx.Response(200, json={}))
    client = mode.client(user_agent_suffix="my-tool/2.0", headers={"X-Team": "edge"})
    mode.run(client.invoke, "GET", "/vmp/images")
    headers = route.calls.last.request.headers
    assert headers["user-agent"].startswith(f"cdnetworks-sdk-python/{__version__} python/")
    assert f"httpx/{httpx.__version__}" in headers["user-agent"]
    assert headers["user-agent"].endswith(" my-tool/2.0")
    assert headers["x-team"] == "edge"


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        ("vmp/images", "must start with '/'"),
        ("/vmp/images?limit=1", "params="),
        ("/vmp/images/a b", "encoded path"),
        ("/vmp/images/é", "encoded path"),
    ],
)
def test_bad_uri_is_refused_before_sending(
    mode: Mode, respx_mock: respx.MockRouter, uri: str, match: str
) -> None:
    client = mode.client()
    with pytest.raises(ValidationError, match=match):
        mode.run(client.invoke, "GET", uri)
    assert not respx_mock.calls


def test_bad_extra_header_is_refused_at_construction() -> None:
    with pytest.raises(ValidationError, match="CR, LF or NUL"):
        Client(
            access_key="AK",
            secret_key=CANARY_SECRET,
            headers={"X-A": "1\r\nX-B: 2"},
            load_entry_points=False,
        )
    with pytest.raises(ValidationError, match="not a valid HTTP token"):
        Client(
            access_key="AK", secret_key=CANARY_SECRET, headers={"X A": "1"}, load_entry_points=False
        )


@pytest.mark.parametrize(
    "endpoint", ["http://api.cdnetworks.com", "http://10.0.0.5:8080", "http://[2001:db8::1]"]
)
def test_plain_http_to_remote_hosts_is_refused(endpoint: str) -> None:
    with pytest.raises(ConfigurationError, match="clear text"):
        Client(
            access_key="AK", secret_key=CANARY_SECRET, endpoint=endpoint, load_entry_points=False
        )
    client = Client(
        access_key="AK",
        secret_key=CANARY_SECRET,
        endpoint=endpoint,
        allow_insecure_http=True,
        load_entry_points=False,
    )
    assert client.endpoint.startswith("http://")
    client.close()


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:8080", "http://localhost:9", "http://[::1]:80"]
)
def test_plain_http_to_loopback_is_fine(endpoint: str) -> None:
    with Client(
        access_key="AK", secret_key=CANARY_SECRET, endpoint=endpoint, load_entry_points=False
    ) as c:
        assert c.endpoint.startswith("http://")


@pytest.mark.parametrize(
    "endpoint", ["ftp://x", "api.cdnetworks.com", "https://h/?q=1", "https://"]
)
def test_malformed_endpoint(endpoint: str) -> None:
    with pytest.raises(ConfigurationError):
        Client(
            access_key="AK", secret_key=CANARY_SECRET, endpoint=endpoint, load_entry_points=False
        )


def test_endpoint_with_path_prefix(mode: Mode, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get("https://gw.example.com/api/vmp/images").mock(
        return_value=httpx.Response(200, json={})
    )
    client = mode.client(endpoint="https://gw.example.com/api/")
    mode.run(client.invoke, "GET", "/vmp/images")
    assert route.called


def test_callers_own_http_client_is_used_and_left_open(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).mock(return_value=httpx.Response(200, json={}))
    own = httpx.Client(timeout=httpx.Timeout(3.0))
    with Client(
        access_key="AK", secret_key=CANARY_SECRET, http_client=own, load_entry_points=False
    ) as c:
        c.invoke("GET", "/vmp/images")
        assert c.timeout.read == 3.0  # the caller's client timeout is the default
    assert not own.is_closed
    own.close()


def test_transport_argument(mode: Mode) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"via": "transport"})

    transport = httpx.MockTransport(handler)
    client = mode.client(transport=transport)
    assert mode.run(client.invoke, "GET", "/x").data == {"via": "transport"}


def test_http_client_and_transport_are_exclusive() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        Client(
            access_key="A",
            secret_key="B",
            http_client=httpx.Client(),
            transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        )


def test_connections_are_reused(mode: Mode) -> None:
    client = mode.client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})))
    first = client._http
    for _ in range(3):
        mode.run(client.invoke, "GET", "/vmp/images")
    assert client._http is first


def test_async_context_manager_closes(portal: object) -> None:
    async def scenario() -> bool:
        async with AsyncClient(access_key="A", secret_key="B", load_entry_points=False) as c:
            pass
        return bool(c._http.is_closed)

    assert portal.call(scenario)  # type: ignore[attr-defined]


def test_product_lookup_names_what_is_installed() -> None:
    with (
        Client(access_key="A", secret_key="B", load_entry_points=False) as c,
        pytest.raises(ConfigurationError, match="no product 'nope' is installed"),
    ):
        c.product("nope")


@pytest.mark.parametrize("value", [0, -1, "x", True])
def test_bad_config_values(value: object) -> None:
    with pytest.raises(ConfigurationError):
        Client(
            access_key="A",
            secret_key="B",
            max_attempts=value,  # type: ignore[arg-type]
            timeout=None,
            load_entry_points=False,
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"params": 5}, "params must be a mapping or"),
        ({"params": "limit=5"}, "params must be a mapping or"),
        ({"params": {("t",): 1}}, "parameter names must be text"),
        ({"params": {"ids": ["a,b", "c"]}}, "list items must not contain ','"),
        ({"json": {"size": float("nan")}}, r"json\.size is nan, which JSON cannot carry"),
        ({"json": [1, float("inf")]}, r"json\[1\] is inf"),
        ({"json": {"blob": b"x"}}, "json.blob is a bytes"),
        ({"json": {"tags": {"a"}}}, "json.tags is a set"),
        ({"json": {1: 2}}, "json has a int key 1; JSON keys are text"),
    ],
)
def test_input_json_would_garble_is_refused_before_sending(
    mode: Mode, respx_mock: respx.MockRouter, kwargs: dict[str, object], match: str
) -> None:
    client = mode.client()
    with pytest.raises(ValidationError, match=match):
        mode.run(client.invoke, "POST", "/vmp/images", **kwargs)
    assert not respx_mock.calls


def test_path_value_errors_name_the_action(mode: Mode, respx_mock: respx.MockRouter) -> None:
    from cdnetworks.core.encoding import path_segment

    with pytest.raises(ValidationError) as info:
        path_segment("image_id", "\ud800", action="VMPRemoveImage")
    assert str(info.value).startswith("[VMPRemoveImage] image_id: contains a lone surrogate")


def test_unknown_settings_are_refused_like_python_would() -> None:
    with pytest.raises(
        TypeError, match=r"Client\(\) got unexpected keyword argument\(s\): acces_key"
    ):
        Client(acces_key="A", secret_key="B")  # type: ignore[call-arg]


def test_invoke_validation_errors_name_the_call_and_idempotent_is_a_bool(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    client = mode.client()
    with pytest.raises(ValidationError) as info:
        mode.run(client.invoke, "POST", "/vmp/images", json={}, idempotent="false")
    assert info.value.action == "POST /vmp/images"
    assert info.value.field == "idempotent"
    assert not respx_mock.calls


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"retry": 5}, "retry must be a cdnetworks.RetryPolicy, not int"),
        ({"plugins": None}, "plugins must be a list"),
        ({"http_client": 5}, "http_client must be a httpx.Client or httpx.AsyncClient"),
        ({"rate_limiter": 300}, "rate_limiter must be a cdnetworks.RateLimiter"),
        ({"access_key": 1, "secret_key": "b"}, "access key from arguments must be a str"),
    ],
)
def test_settings_of_the_wrong_kind_are_named(kwargs: dict[str, Any], match: str) -> None:
    settings: dict[str, Any] = {"access_key": "A", "secret_key": "B", "load_entry_points": False}
    with pytest.raises(ConfigurationError, match=match):
        Client(**{**settings, **kwargs})


def test_absurdly_nested_json_is_a_decode_error(mode: Mode, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).mock(return_value=httpx.Response(200, content=b"[" * 100_000))
    client = mode.client()
    with pytest.raises(Exception, match="could not decode") as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert type(info.value).__name__ == "DecodeError"
