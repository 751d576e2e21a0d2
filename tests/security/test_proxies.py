"""Both clients honour ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``/``NO_PROXY`` (issue 19, item 3),
tested through a CONNECT proxy on loopback; ``trust_env=False`` and an explicit ``proxy=`` on a
lent httpx client keep working. The target is HTTPS, so the proxy only tunnels bytes."""

from __future__ import annotations

import pathlib
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import suppress

import httpx
import pytest

from tests.conftest import Mode
from tests.faults.server import FaultServer

from .test_transport_security import certificate, https_server  # noqa: F401 - fixtures

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


class ConnectProxy:
    """A CONNECT-only proxy on 127.0.0.1 that counts the tunnels it opened (to loopback only)."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            host, _, port = target.rpartition(":")
            if method != "CONNECT" or host != "127.0.0.1":
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            self.tunnels.append(target)
            with socket.create_connection((host, int(port))) as upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                while not self._stop.is_set():
                    ready, _, _ = select.select([conn, upstream], [], [], 0.1)
                    for source in ready:
                        data = source.recv(65536)
                        if not data:
                            return
                        (upstream if source is conn else conn).sendall(data)

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        with suppress(OSError):
            self._sock.close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectProxy]:
    for name in (*PROXY_VARIABLES, *(v.lower() for v in PROXY_VARIABLES)):
        monkeypatch.delenv(name, raising=False)
    with ConnectProxy() as running:
        yield running


def _trusting(monkeypatch: pytest.MonkeyPatch, cert: tuple[pathlib.Path, pathlib.Path]) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "ALL_PROXY", "https_proxy"])
def test_the_environment_proxy_is_used(
    mode: Mode,
    proxy: ConnectProxy,
    https_server: FaultServer,  # noqa: F811
    certificate: tuple[pathlib.Path, pathlib.Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    _trusting(monkeypatch, certificate)
    monkeypatch.setenv(variable, proxy.url)
    client = mode.client(endpoint=https_server.endpoint)
    assert mode.run(client.invoke, "GET", "/vmp/images").status_code == 200
    assert len(proxy.tunnels) == 1 and https_server.count() == 1


def test_no_proxy_bypasses_it(
    mode: Mode,
    proxy: ConnectProxy,
    https_server: FaultServer,  # noqa: F811
    certificate: tuple[pathlib.Path, pathlib.Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _trusting(monkeypatch, certificate)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = mode.client(endpoint=https_server.endpoint)
    assert mode.run(client.invoke, "GET", "/vmp/images").status_code == 200
    assert proxy.tunnels == [] and https_server.count() == 1


@pytest.mark.parametrize("how", ["trust_env=False", "proxy="])
def test_a_lent_client_keeps_its_own_proxy_settings(
    mode: Mode,
    proxy: ConnectProxy,
    https_server: FaultServer,  # noqa: F811
    certificate: tuple[pathlib.Path, pathlib.Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    context = ssl.create_default_context(cafile=str(certificate[0]))
    cls = httpx.AsyncClient if mode.is_async else httpx.Client
    if how == "proxy=":
        http_client = cls(verify=context, proxy=proxy.url)
    else:  # the environment names a proxy the lent client is told to ignore
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        http_client = cls(verify=context, trust_env=False)
    client = mode.client(endpoint=https_server.endpoint, http_client=http_client)
    try:
        assert mode.run(client.invoke, "GET", "/vmp/images").status_code == 200
    finally:
        if mode.is_async:
            mode.run(http_client.aclose)  # type: ignore[union-attr]
        else:
            http_client.close()  # type: ignore[union-attr]
    assert len(proxy.tunnels) == (1 if how == "proxy=" else 0)
