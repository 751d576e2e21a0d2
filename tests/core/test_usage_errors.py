"""Misuse that used to escape ``except CdnetworksError`` as a raw exception: each is now a typed
error with a sentence a user understands, raised before anything is sent."""

from __future__ import annotations

import asyncio
import copy
import pickle
import socket
from typing import Any

import pytest

from cdnetworks.core import (
    AsyncClient,
    CdnetworksError,
    Client,
    ClientUsageError,
    ConfigurationError,
    Timeout,
    ValidationError,
)
from cdnetworks.core.config import _resolves_to_loopback
from tests.conftest import ACCESS_KEY, CANARY_SECRET, Mode
from tests.faults.cases import OK_BODY
from tests.faults.server import Respond, fault_server

KEYS: dict[str, Any] = {
    "access_key": ACCESS_KEY,
    "secret_key": CANARY_SECRET,
    "load_entry_points": False,
}


@pytest.mark.parametrize("value", [float("inf"), 1e10, float("nan"), -1, 0])
def test_a_timeout_that_cannot_work_is_refused_up_front(value: float) -> None:
    with pytest.raises(ConfigurationError, match="timeout must be a positive number"):
        Client(**KEYS, timeout=value)
    with pytest.raises(ConfigurationError, match="timeout total must be a positive number"):
        Timeout(total=value)


@pytest.mark.parametrize("value", ["5", b"5", True, [5]])
def test_a_timeout_field_of_the_wrong_kind_is_named(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="timeout read must be a number of seconds"):
        Timeout(read=value)


def test_the_cli_refuses_an_infinite_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    from cdnetworks.cli.main import main

    code: object
    try:
        code = main(["--emulator", "--timeout", "inf", "imagemanage", "vmp-query-image"])
    except SystemExit as exit_:  # argparse refuses it while parsing
        code = exit_.code
    assert code not in (0, None)
    err = capsys.readouterr().err
    assert "timeout" in err and "finite" in err


def test_a_closed_client_refuses_calls_and_a_second_with(mode: Mode) -> None:
    with fault_server(Respond(200, OK_BODY)) as server:
        client = mode.client(endpoint=server.endpoint)
        mode.run(client.aclose if mode.is_async else client.close)
        with pytest.raises(ClientUsageError, match="is closed"):
            mode.run(client.invoke, "GET", "/vmp/images")
        if mode.is_async:

            async def enter_again() -> None:
                async with client:
                    pass

            with pytest.raises(ClientUsageError, match="is closed"):
                mode.run(enter_again)
        else:
            with pytest.raises(ClientUsageError, match="is closed"), client:
                pass
    assert server.count() == 0


def test_an_async_client_in_a_second_event_loop_is_refused() -> None:
    # "Connection: close", so the first loop leaves no connection behind when it ends.
    closing = Respond(200, OK_BODY, (("Content-Type", "application/json"), ("Connection", "close")))
    with fault_server(closing) as server:
        client = AsyncClient(**KEYS, endpoint=server.endpoint)

        async def call() -> Any:
            return await client.invoke("GET", "/vmp/images")

        asyncio.run(call())
        with pytest.raises(ClientUsageError, match="another event loop") as caught:
            asyncio.run(call())
        asyncio.run(client.aclose())
    assert isinstance(caught.value, CdnetworksError)
    assert server.count() == 1


@pytest.mark.parametrize("copier", [pickle.dumps, copy.deepcopy, copy.copy])
@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_a_client_cannot_be_pickled_or_copied_and_says_why(cls: type, copier: Any) -> None:
    client = cls(**KEYS)
    with pytest.raises(ClientUsageError, match="cannot be pickled or copied") as caught:
        copier(client)
    assert CANARY_SECRET not in str(caught.value)


@pytest.mark.parametrize("method", ["GET", "HEAD", "get"])
def test_a_body_on_get_or_head_is_refused(mode: Mode, method: str) -> None:
    with fault_server(Respond(200, OK_BODY)) as server:
        client = mode.client(endpoint=server.endpoint)
        with pytest.raises(ValidationError) as caught:
            mode.run(client.invoke, method, "/vmp/images", json={"limit": 5})
    assert caught.value.field == "json"
    assert caught.value.action == f"{method.upper()} /vmp/images"
    assert "params=" in str(caught.value)
    assert server.count() == 0


@pytest.mark.parametrize(
    "endpoint", ["https://user:hunter2-PASS@api.example.com", "https://u:hunter2@[not-a-host"]
)
def test_credentials_in_the_endpoint_are_refused_and_never_shown(endpoint: str) -> None:
    with pytest.raises(ConfigurationError, match="must not") as caught:
        Client(**KEYS, endpoint=endpoint)
    assert "hunter2" not in str(caught.value)


def _resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    def fake(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        if not addresses:
            raise socket.gaierror("no such name")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    # The core asks once per name and process: forget the answers of earlier cases.
    _resolves_to_loopback.cache_clear()


@pytest.mark.parametrize(
    ("addresses", "allowed"),
    [((), True), (("127.0.0.1",), True), (("::1", "127.0.0.2"), True), (("203.0.113.9",), False)],
)
def test_a_localhost_name_counts_as_loopback_only_if_it_resolves_there(
    monkeypatch: pytest.MonkeyPatch, addresses: tuple[str, ...], allowed: bool
) -> None:
    _resolving_to(monkeypatch, *addresses)
    endpoint = "http://api.dev.localhost:8080"
    if allowed:
        assert Client(**KEYS, endpoint=endpoint).endpoint == endpoint
    else:
        with pytest.raises(ConfigurationError, match="plain http to a remote host"):
            Client(**KEYS, endpoint=endpoint)
