"""Loopback servers for per-call benchmarks: nginx when installed, else the Python one.

A benchmark of the client's own cost needs a server much faster than the client, or the
server's time hides it. nginx (C, static file, keep-alive) answers the 20-image page in a few
microseconds; ``loopback_server.py`` (asyncio, its own process) takes far longer per request,
which flattens every ratio towards 1.

``serve(kind)`` starts one, yields a `Server` (base URL and a description for the output)
and stops it. ``kind`` is ``"nginx"``, ``"python"`` or ``"auto"`` (nginx when an ``nginx``
binary is on ``PATH`` or in ``/usr/sbin``, else Python, saying so in the description).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

HERE = pathlib.Path(__file__).resolve().parent
REQUEST_ID = "bench"


@dataclass(frozen=True)
class Server:
    base_url: str
    kind: str
    #: What served the benchmark, for the output (and why, when it is the fallback).
    description: str
    #: Whether the server checks signatures (``/__verify/``): the Python one only.
    verifies: bool


def page() -> bytes:
    """The 20-image page both servers answer with (the same bytes)."""
    sys.path.insert(0, str(HERE))
    from loopback_server import PAGE

    return PAGE


def nginx_binary() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


_NGINX_CONF = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    types {{ }}
    default_type application/json;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    etag off;
    server {{
        listen 127.0.0.1:{port} backlog=1024;
        root {prefix}/www;
        location / {{
            add_header x-cnc-request-id {request_id} always;
            try_files /page.json =404;
        }}
    }}
}}
"""


@contextlib.contextmanager
def _nginx(binary: str) -> Iterator[Server]:
    prefix = pathlib.Path(tempfile.mkdtemp(prefix="cdnetworks-bench-nginx-"))
    try:
        (prefix / "www").mkdir()
        (prefix / "tmp").mkdir()
        (prefix / "www" / "page.json").write_bytes(page())
        # nginx's workers may run as an unprivileged user: let them read the page.
        for path in (prefix, prefix / "www", prefix / "www" / "page.json"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        port = _free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(_NGINX_CONF.format(prefix=prefix, port=port, request_id=REQUEST_ID))
        command = [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        proc = subprocess.Popen(  # noqa: S603 - a fixed binary and our own config, no shell
            [*command, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_listening(port, proc)
            yield Server(
                f"http://127.0.0.1:{port}",
                "nginx",
                f"nginx ({_nginx_version(binary)}, 1 worker, static page, keep-alive)",
                verifies=False,
            )
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


def _nginx_version(binary: str) -> str:
    done = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)  # noqa: S603
    return (done.stderr or done.stdout).strip().removeprefix("nginx version: ")


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"nginx exited with {proc.returncode}: {err.strip()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    raise RuntimeError(f"nginx did not listen on 127.0.0.1:{port} within 10 s")


@contextlib.contextmanager
def _python(reason: str) -> Iterator[Server]:
    proc = subprocess.Popen(  # noqa: S603 - our own script, no shell
        [sys.executable, str(HERE / "loopback_server.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().split()[1])
        yield Server(
            f"http://127.0.0.1:{port}",
            "python",
            f"Python loopback server (benchmarks/loopback_server.py){reason}",
            verifies=True,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def requested_kind() -> str:
    """The server ``run.py --server`` asked for (``auto`` unless set)."""
    return os.environ.get("CDNETWORKS_BENCH_SERVER", "auto")


@contextlib.contextmanager
def serve(kind: str | None = None) -> Iterator[Server]:
    kind = kind or requested_kind()
    if kind not in ("auto", "nginx", "python"):
        raise ValueError(f"unknown server {kind!r}: auto, nginx or python")
    binary = nginx_binary() if kind != "python" else None
    if kind == "nginx" and binary is None:
        raise RuntimeError("--server nginx, but no nginx binary is installed")
    if binary is None:
        reason = (
            ""
            if kind == "python"
            else "; nginx is not installed, so client costs look smaller than they are "
            "(apt-get install nginx)"
        )
        with _python(reason) as server:
            yield server
        return
    with _nginx(binary) as server:
        yield server
