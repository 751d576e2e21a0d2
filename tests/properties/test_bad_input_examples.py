"""Inputs the properties found escaping as non-SDK exceptions, pinned as plain examples.

Each was a ``UnicodeEncodeError``, ``TypeError``, ``AttributeError`` or ``httpx.InvalidURL`` from
deep inside the stack, or a silently garbled request; each is now refused up front by name.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cdnetworks.core import ConfigurationError, CredentialsError, ValidationError
from tests.conftest import Mode

NOTHING_SENT = httpx.MockTransport(lambda request: pytest.fail("a request was sent"))


@pytest.mark.parametrize(
    ("method", "uri", "kwargs", "field"),
    [
        ("GET", "/x", {"params": {"a": "\ud800"}}, "a"),
        ("GET", "/x", {"params": {"\ud800": "1"}}, "params"),
        ("GET", "/x", {"params": {"a": b"\xff"}}, "a"),
        ("GET", "/x", {"params": {"a": {"b": 1}}}, "a"),
        ("GET", "/x", {"params": {"a": [1, None]}}, "a"),
        ("GET", "/x", {"params": [1, 2]}, "params"),
        ("POST", "/x", {"json": {"a": "\ud800"}}, "json"),
        ("POST", "/x", {"json": {"a": object()}}, "json"),
        ("ǅ", "/x", {}, "method"),
        (None, "/x", {}, "method"),
        ("GET", 5, {}, "uri"),
        ("GET", "/x%zz", {}, "uri"),
        ("GET", "/a b", {}, "uri"),
        ("GET", "/" + "a" * 70_000, {}, "path"),
    ],
)
def test_refused_before_sending(
    mode: Mode, method: Any, uri: Any, kwargs: dict[str, Any], field: str
) -> None:
    client = mode.client(transport=NOTHING_SENT)
    with pytest.raises(ValidationError) as info:
        mode.run(client.invoke, method, uri, **kwargs)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"headers": {"x-note": "café"}}, ValidationError),
        ({"headers": {"x-note": 1}}, ValidationError),
        ({"user_agent_suffix": "我的应用"}, ValidationError),
        ({"user_agent_suffix": "app\r\nX-Evil: 1"}, ValidationError),
        ({"access_key": "AK中"}, CredentialsError),
        ({"secret_key": "sk\ud800"}, CredentialsError),
    ],
)
def test_refused_when_the_client_is_made(
    mode: Mode, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error) as info:
        mode.client(transport=NOTHING_SENT, **kwargs)
    assert isinstance(info.value, ValidationError | ConfigurationError)
