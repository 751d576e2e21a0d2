"""Plain http is refused for remote hosts; TLS certificates are verified by default.

The TLS tests run a real HTTPS server on 127.0.0.1 with a throw-away self-signed certificate
made by the ``openssl`` command line tool.
"""

from __future__ import annotations

import pathlib
import shutil
import ssl
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from cdnetworks.core import ConfigurationError, ConnectError, RetryPolicy, RetryQuota
from tests.conftest import CANARY_SECRET, Mode
from tests.faults.server import FaultServer, Respond, Verified, fault_server, json_body

OK = Respond(200, json_body("0", "ok", '{"images":[]}'))


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://api.cdnetworks.com",
        "http://10.0.0.5:8080",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "http://[2001:db8::1]",
    ],
)
def test_plain_http_to_a_remote_host_is_refused(mode: Mode, endpoint: str) -> None:
    with pytest.raises(ConfigurationError, match="plain http to a remote host"):
        mode.client(endpoint=endpoint)


@pytest.mark.parametrize(
    "endpoint",
    ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "http://127.5.6.7"],
)
def test_plain_http_to_this_machine_is_allowed(mode: Mode, endpoint: str) -> None:
    assert mode.client(endpoint=endpoint).endpoint.startswith("http://")


def test_plain_http_to_a_remote_host_needs_an_explicit_opt_in(mode: Mode) -> None:
    client = mode.client(endpoint="http://gateway.internal", allow_insecure_http=True)
    assert client.endpoint == "http://gateway.internal"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, pathlib.Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def https_server(certificate: tuple[pathlib.Path, pathlib.Path]) -> Iterator[FaultServer]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with fault_server(Verified(CANARY_SECRET, OK), tls=context) as server:
        yield server


def test_tls_is_verified_by_default(mode: Mode, https_server: FaultServer) -> None:
    """The default client refuses a certificate no trusted authority signed."""
    client = mode.client(
        endpoint=https_server.endpoint,
        retry=RetryPolicy(max_attempts=1, quota=RetryQuota()),
    )
    with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        mode.run(client.invoke, "GET", "/vmp/images")
    assert https_server.count() == 0, "a request went over an unverified connection"


def test_a_ca_bundle_through_your_own_http_client(
    mode: Mode, https_server: FaultServer, certificate: tuple[pathlib.Path, pathlib.Path]
) -> None:
    """``http_client=httpx.Client(verify=ssl_context)`` trusts a private CA; still verified."""
    context = ssl.create_default_context(cafile=str(certificate[0]))
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    http_client = (httpx.AsyncClient if mode.is_async else httpx.Client)(verify=context)
    client = mode.client(endpoint=https_server.endpoint, http_client=http_client)
    try:
        result = mode.run(client.invoke, "GET", "/vmp/images")
    finally:
        if mode.is_async:
            mode.run(http_client.aclose)  # type: ignore[union-attr]
        else:
            http_client.close()  # type: ignore[union-attr]
    assert result.status_code == 200
    assert https_server.count() == 1


def test_a_ca_bundle_through_ssl_cert_file(
    mode: Mode,
    https_server: FaultServer,
    certificate: tuple[pathlib.Path, pathlib.Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The default client also honours ``SSL_CERT_FILE`` (httpx reads it when it is created)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    client = mode.client(endpoint=https_server.endpoint)
    assert mode.run(client.invoke, "GET", "/vmp/images").status_code == 200
