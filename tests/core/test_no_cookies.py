"""The SDK's own connection pools keep no cookies: the API sets none, and a jar costs time."""

from __future__ import annotations

import httpx
import respx

from tests.conftest import Mode

URL = "https://api.cdnetworks.com/vmp/images"


def test_a_set_cookie_answer_is_not_sent_back(mode: Mode, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(URL).mock(
        return_value=httpx.Response(200, json={"images": []}, headers={"Set-Cookie": "s=1; Path=/"})
    )
    client = mode.client()
    mode.run(client.invoke, "GET", "/vmp/images")
    mode.run(client.invoke, "GET", "/vmp/images")
    assert route.call_count == 2
    assert all("cookie" not in call.request.headers for call in route.calls)
    assert not client._http.cookies  # nothing kept either
