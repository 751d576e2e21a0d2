"""``--ca-bundle``: a private CA's certificate is trusted, and only with the option."""

from __future__ import annotations

import http.server
import io
import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdnetworks.cli.main import main

# Slow: real-time bounds and child processes.
# Left out of the fast subset (pytest -m "not slow").
pytestmark = pytest.mark.slow

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"images": [], "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-cnc-request-id", "rid-tls")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on loopback whose self-signed certificate is in the returned file."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "ca.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603 - a fixed openssl command line
        [  # noqa: S607
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_a_private_ca_is_trusted_only_with_ca_bundle(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, cert = tls_server
    monkeypatch.setenv("CDNETWORKS_SECRET_KEY", "sk-tls-test")
    base = ["--endpoint", endpoint, "--access-key", "AKTLS", "--max-attempts", "1"]
    code, out, err = run([*base, "api", "GET", "/vmp/images"])
    assert code == 1 and out == ""
    assert "CERTIFICATE_VERIFY_FAILED" in err or "certificate verify failed" in err, err
    code, out, err = run([*base, "api", "GET", "/vmp/images", "--ca-bundle", str(cert)])
    assert code == 0, err
    assert json.loads(out) == {"images": [], "path": "/vmp/images", "requestId": "rid-tls"}
