"""Server mode: the sync and async clients over real loopback sockets."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest

from cdnetworks.core import (
    AkskAuth,
    AsyncClient,
    AuthenticationError,
    Client,
    ConfigurationError,
    ProtocolError,
    ServerError,
    Timeout,
    TransportTimeoutError,
)
from cdnetworks.core.emulator import Drop, Emulator, EmulatorServer, Latency
from tests.conftest import Mode

from .conftest import NO_RETRY, make_emulator

CREATE = {"name": "web", "imageSrcUrl": "https://x/web.qcow2", "ostype": "linux"}


@pytest.fixture
def server(emu: Emulator) -> Iterator[EmulatorServer]:
    with emu.serve() as running:
        yield running


def _client(mode: Mode, server: EmulatorServer, **kwargs: Any) -> Any:
    return mode.client(**{**server.client_kwargs(), "retry": NO_RETRY, **kwargs})


def test_endpoint_is_loopback_with_a_free_port(server: EmulatorServer) -> None:
    assert server.endpoint.startswith("http://127.0.0.1:")
    assert server.port > 0
    assert server.client_kwargs()["endpoint"] == server.endpoint
    assert server.client_kwargs()["secret_key"] == "sk-emulator"


def test_main_job_over_sockets(mode: Mode, emu: Emulator, server: EmulatorServer) -> None:
    client = _client(mode, server)
    created = mode.run(client.invoke, "POST", "/vmp/images", json=CREATE)
    image_id = created.data["id"]
    assert created.request_id
    emu.advance(30)
    listed = mode.run(client.invoke, "GET", "/vmp/images", params={"ids": image_id})
    assert listed.data["images"][0]["state"] == "ACTIVE"
    body = {"imageId": image_id, "nodeNames": ["node-a", "node-b"]}
    assert mode.run(client.invoke, "PUT", "/vmp/images/preHeating", json=body).data["code"] == "0"
    emu.advance(60)
    info = mode.run(client.invoke, "GET", f"/vmp/images/preHeatingInfo/{image_id}").data
    assert {n["state"] for n in info["data"]["preHeatingInfo"]} == {"SUCCESS"}
    removed = mode.run(
        client.invoke, "DELETE", f"/vmp/images/{image_id}", json={"imageId": image_id}
    )
    assert removed.status_code == 200
    assert created.headers["server"] == "cdnetworks-emulator"


def test_wrong_secret_over_sockets(mode: Mode, server: EmulatorServer) -> None:
    client = _client(mode, server, secret_key="sk-wrong")
    with pytest.raises(AuthenticationError) as caught:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.request_id


def test_dropped_connection_over_sockets(mode: Mode, emu: Emulator, server: EmulatorServer) -> None:
    emu.faults.add(Drop(), calls=[1])
    client = _client(mode, server)
    with pytest.raises(ProtocolError):
        mode.run(client.invoke, "GET", "/vmp/images")
    assert mode.run(client.invoke, "GET", "/vmp/images").status_code == 200


def test_latency_over_sockets_hits_the_read_timeout(
    mode: Mode, emu: Emulator, server: EmulatorServer
) -> None:
    emu.faults.add(Latency(2.0), calls=[1])
    client = _client(mode, server, timeout=Timeout(read=0.1))
    started = time.monotonic()
    with pytest.raises(TransportTimeoutError):
        mode.run(client.invoke, "GET", "/vmp/images")
    assert time.monotonic() - started < 1.5


@pytest.mark.slow
def test_async_concurrency_reuses_keep_alive_connections(
    portal: Any, emu: Emulator, server: EmulatorServer
) -> None:
    calls, concurrency = 300, 30

    async def run() -> list[str]:
        ids: list[str] = []
        limiter = anyio.Semaphore(concurrency)
        async with AsyncClient(**server.client_kwargs(), load_entry_points=False) as client:

            async def one() -> None:
                async with limiter:
                    result = await client.invoke("GET", "/vmp/images", params={"limit": 2})
                    ids.append(result.request_id or "")

            async with anyio.create_task_group() as tg:
                for _ in range(calls):
                    tg.start_soon(one)
        return ids

    ids = portal.call(run)
    assert len(set(ids)) == calls
    assert emu.calls == calls
    # httpx keeps at most 20 idle connections per pool, so a few more than 20 get opened;
    # without keep-alive every call would need its own.
    assert server.connections_accepted <= concurrency * 2 < calls


def test_sync_threads_share_one_client(server: EmulatorServer) -> None:
    with (
        Client(**server.client_kwargs(), load_entry_points=False) as client,
        ThreadPoolExecutor(8) as pool,
    ):
        results = list(
            pool.map(lambda _: client.invoke("GET", "/vmp/images").status_code, range(64))
        )
    assert results == [200] * 64
    assert server.connections_accepted <= 8


def test_chunked_request_body_is_verified(emu: Emulator, server: EmulatorServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "web", "imageSrcUrl": "https://x/web.qcow2",'
        yield b' "ostype": "linux"}'

    auth = AkskAuth(emu.access_key, emu.secret_key)
    with httpx.Client(base_url=server.endpoint, auth=auth) as http:
        response = http.post("/vmp/images", content=chunks())
    assert response.status_code == 200, response.text
    assert response.json()["id"].startswith("img-")


def test_malformed_http_gets_400(server: EmulatorServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400")


def test_lifecycle_errors() -> None:
    emu = make_emulator()
    server = emu.serve()
    with pytest.raises(ConfigurationError, match="not running"):
        _ = server.endpoint
    server.stop()  # never started: nothing to do
    with server:
        assert not server.wait(timeout=0.05)
        with pytest.raises(ConfigurationError, match="already started"):
            server.start()
        with pytest.raises(ConfigurationError, match="cannot listen"), emu.serve(port=server.port):
            pass
    assert server.wait(timeout=1)
    server.stop()
    assert "stopped" in repr(server)


def test_an_emulator_bug_is_a_500_not_a_dead_server(
    emu: Emulator, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(request: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(emu, "answer", broken)
    with httpx.Client(base_url=server.endpoint) as http:
        first = http.get("/vmp/images")
        second = http.get("/vmp/images")
    assert (first.status_code, second.status_code) == (500, 500)
    assert first.json() == {"code": "InternalError", "message": "RuntimeError: boom"}
    assert first.headers["x-cnc-request-id"]


def test_a_failing_handler_is_a_500(mode: Mode, emu: Emulator) -> None:
    def broken(request: object) -> None:
        raise KeyError("oops")

    (query,) = [r for r in emu.routes if r.name == "VMPQueryImage"]
    query.handler = broken
    transport = emu.async_transport() if mode.is_async else emu.transport()
    client = mode.client(**emu.client_kwargs(), transport=transport, retry=NO_RETRY)
    with pytest.raises(ServerError) as caught:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert caught.value.code == "InternalError"
    assert "VMPQueryImage failed: KeyError" in caught.value.message
