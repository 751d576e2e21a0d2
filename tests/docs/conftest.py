"""A live API for the documentation samples to talk to, over real loopback HTTP."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from cdnetworks.core import signing

ACCESS_KEY = "AKDOCS0001"
SECRET_KEY = "docs-secret-key"


@dataclass(frozen=True)
class LiveApi:
    endpoint: str
    access_key: str
    secret_key: str


class _StubHandler(BaseHTTPRequestHandler):
    """Stand-in until the emulator lands: checks the AK/SK signature, answers a few paths."""

    images: ClassVar[list[dict[str, object]]] = [
        {"id": "img-ubuntu-22", "name": "Ubuntu 22.04", "type": "COMMON", "state": "ACTIVE"},
    ]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-cnc-request-id", uuid.uuid4().hex)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        auth = self.headers.get("Authorization", "")
        names = auth.partition("SignedHeaders=")[2].partition(",")[0].split(";")
        canonical = signing.canonical_request(
            self.command, path.encode(), query.encode(), dict(self.headers.items()), names, body
        )
        timestamp = self.headers.get("x-cnc-timestamp", "0")
        expected = signing.signature(SECRET_KEY, signing.string_to_sign(timestamp, canonical))
        if not auth.endswith("Signature=" + expected) or abs(time.time() - int(timestamp)) > 300:
            self._answer(401, {"code": "AuthFailure", "message": "signature mismatch"})
        elif self.command == "GET" and path == "/vmp/images":
            self._answer(200, {"images": self.images})
        else:
            self._answer(404, {"code": "NotFound", "message": f"no route {self.command} {path}"})

    do_GET = do_POST = do_PUT = do_DELETE = _handle


@pytest.fixture(scope="session")
def live_api() -> Iterator[LiveApi]:
    """The emulator served over loopback HTTP, seeded with every installed product's data."""
    try:
        from cdnetworks.core.emulator import Emulator
    except ImportError:
        yield from _stub_api()
        return
    with Emulator().serve() as server:
        kwargs = server.client_kwargs()
        yield LiveApi(kwargs["endpoint"], kwargs["access_key"], kwargs["secret_key"])


def _stub_api() -> Iterator[LiveApi]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveApi(f"http://127.0.0.1:{server.server_port}", ACCESS_KEY, SECRET_KEY)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
