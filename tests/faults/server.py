"""A misbehaving HTTP/1.1 server on 127.0.0.1, written on raw sockets.

It answers each request with the next step of a script (the last step repeats), so a test can say
"503, 503, then 200" or "reset the connection mid-body". Because it speaks HTTP by hand it can do
what a well-behaved server library cannot: close with a TCP reset half-way through a body, stall
past the client's read timeout, lie in ``Content-Length``, or claim a clock far from the client's.

Every request that reaches it is recorded (method, path, query, headers, body, time), so tests
count attempts on the server side, where a duplicate create would actually happen.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus

from cdnetworks.core.signing import canonical_request, signature, string_to_sign

#: The server rejects timestamps further than this from its clock, as the real API does.
TIMESTAMP_WINDOW = 300.0
#: Answers that mean the request was refused before it could take effect.
REJECTED_AT_THE_DOOR = frozenset({401, 429})


@dataclass(frozen=True)
class Seen:
    """One request as it reached the server."""

    number: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float


class Reply:
    """What to do with one request: write bytes to the socket, or misbehave."""

    def __call__(self, server: FaultServer, conn: socket.socket, seen: Seen) -> bool:
        """Act on ``conn``; return whether the connection may serve another request."""
        raise NotImplementedError


def _response_bytes(
    status: int, body: bytes, headers: Sequence[tuple[str, str]], *, content_length: int | None
) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {status} {phrase}"]
    lines += [f"{k}: {v}" for k, v in headers]
    length = len(body) if content_length is None else content_length
    lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass(frozen=True)
class Respond(Reply):
    """A complete answer. ``x-cnc-request-id`` and ``Date`` (the server's clock) are added."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)

    def __call__(self, server: FaultServer, conn: socket.socket, seen: Seen) -> bool:
        if self.status in REJECTED_AT_THE_DOOR:
            server.rejected.add(seen.number)
        conn.sendall(self.encode(server, seen))
        return True

    def encode(self, server: FaultServer, seen: Seen) -> bytes:
        # A header given here (a ``Date`` from another decade, say) replaces the standard one.
        own = {name.lower() for name, _ in self.headers}
        standard = tuple(h for h in server.standard_headers(seen) if h[0].lower() not in own)
        return _response_bytes(self.status, self.body, standard + self.headers, content_length=None)


@dataclass(frozen=True)
class Trickle(Reply):
    """Send ``answer`` one byte every ``interval`` seconds: the head too (``from_byte=0``), or
    only the body (``from_byte=None``: the head at once). Each byte beats the read timeout."""

    interval: float
    answer: Respond = Respond(200, b'{"code":"0","message":"ok","data":{"images":[]}}' + b" " * 400)
    body_only: bool = False

    def __call__(self, server: FaultServer, conn: socket.socket, seen: Seen) -> bool:
        data = self.answer.encode(server, seen)
        start = data.index(b"\r\n\r\n") + 4 if self.body_only else 0
        conn.sendall(data[:start])
        for byte in data[start:]:
            if server.stopping.wait(self.interval):
                return False
            conn.sendall(bytes([byte]))
        return True


@dataclass(frozen=True)
class Big(Reply):
    """A 200 with ``size`` bytes of JSON-ish body, streamed in chunks; ``gzip``: a compressed
    body that inflates to ``size`` bytes (a decompression bomb); ``chunked``: no length given.

    ``sent`` holds the count of body bytes that left, so a test can tell the client stopped
    reading."""

    size: int
    gzip: bool = False
    chunked: bool = False
    sent: list[int] = field(default_factory=list, compare=False)

    def _body(self) -> Iterator[bytes]:
        piece = b" " * 65536
        if not self.gzip:
            for offset in range(0, self.size, len(piece)):
                yield piece[: self.size - offset]
            return
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
        for offset in range(0, self.size, len(piece)):
            out = packer.compress(piece[: self.size - offset])
            if out:
                yield out
        yield packer.flush()

    def __call__(self, server: FaultServer, conn: socket.socket, seen: Seen) -> bool:
        headers = [*server.standard_headers(seen), ("Content-Type", "application/json")]
        if self.gzip:
            headers.append(("Content-Encoding", "gzip"))
        body = list(self._body()) if self.gzip and not self.chunked else None
        lines = ["HTTP/1.1 200 OK", *(f"{k}: {v}" for k, v in headers)]
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
        else:
            length = sum(map(len, body)) if body is not None else self.size
            lines.append(f"Content-Length: {length}")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        total = 0
        for chunk in body if body is not None else self._body():
            if self.chunked:
                chunk = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
            conn.sendall(chunk)
            total += len(chunk)
            self.sent[:] = [total]  # only the latest count: a soak run sends millions of chunks
        if self.chunked:
            conn.sendall(b"0\r\n\r\n")
        return True


@dataclass(frozen=True)
class ResetMidBody(Reply):
    """Send the status line, headers and half the promised body, then a TCP reset."""

    body: bytes = b'{"code":"0","message":"ok","data":{"images":[]}}'

    def __call__(self, server: FaultServer, conn: socket.socket, seen: Seen) -> bool:
        head = _response_bytes(
            200,
            self.body[: len(self.body) // 2],
            (*server.standard_headers(seen), ("Content-Type", "application/json")),
            content_length=len(self.body),
        )
        conn.sendall(head)
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False


@dataclass(frozen=True)
class Stall(Reply):
    """Say nothing for ``seconds`` (longer than the client's read timeout), then hang up."""

    seconds: float

    def __call__(self, server: FaultServer, conn: socket.socket, seen: Seen) -> bool:
        server.stopping.wait(self.seconds)
        return False


@dataclass(frozen=True)
class Verified(Reply):
    """Check the AK/SK signature and the timestamp window like the gateway, then ``then``.

    A bad signature or a timestamp outside the window gets a 401 with a JSON error body.
    """

    secret_key: str
    then: Reply

    def __call__(self, server: FaultServer, conn: socket.socket, seen: Seen) -> bool:
        problem = server.auth_problem(seen, self.secret_key)
        if problem is None:
            return self.then(server, conn, seen)
        code, message = problem
        body = f'{{"code":"{code}","message":"{message}"}}'.encode()
        return Respond(401, body)(server, conn, seen)


@dataclass
class FaultServer:
    """A threaded loopback server; use :func:`fault_server` to run one."""

    script: list[Reply] = field(default_factory=list)
    #: Seconds added to the server's clock (its ``Date`` header and timestamp check).
    clock_offset: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    #: Numbers of the requests answered 401 or 429 (refused before they could take effect).
    rejected: set[int] = field(default_factory=set)
    stopping: threading.Event = field(default_factory=threading.Event)
    #: Serve HTTPS with this context (the handshake happens on the connection's thread).
    tls: ssl.SSLContext | None = None
    #: Connections accepted so far (a client that reuses its pool opens no new one).
    accepted: int = 0
    #: Keep every request in ``seen`` (a long soak run only counts them, in ``requests``).
    keep_seen: bool = True
    requests: int = 0

    def __post_init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()

    @property
    def endpoint(self) -> str:
        host, port = self._sock.getsockname()
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def now(self) -> float:
        return time.time() + self.clock_offset

    def standard_headers(self, seen: Seen) -> tuple[tuple[str, str], ...]:
        return (
            ("Date", formatdate(self.now(), usegmt=True)),
            ("x-cnc-request-id", f"req-{seen.number}"),
        )

    def count(self, method: str | None = None) -> int:
        """Requests that reached the server (of ``method`` only, when given)."""
        return sum(1 for s in self.seen if method is None or s.method == method)

    def effective(self, method: str) -> int:
        """Requests of ``method`` that were not refused at the door: they may have taken effect."""
        return sum(1 for s in self.seen if s.method == method and s.number not in self.rejected)

    def auth_problem(self, seen: Seen, secret_key: str) -> tuple[str, str] | None:
        """``None`` when ``seen`` is correctly signed and fresh, else (code, message)."""
        auth = seen.headers.get("authorization", "")
        try:
            _, rest = auth.split(" ", 1)
            fields = dict(part.strip().split("=", 1) for part in rest.split(","))
            signed = fields["SignedHeaders"].split(";")
            ts = seen.headers["x-cnc-timestamp"]
        except (ValueError, KeyError):
            return "AUTH.MissingAuthorization", "missing or malformed Authorization"
        if abs(int(ts) - self.now()) > TIMESTAMP_WINDOW:
            return "AUTH.RequestExpired", "the request timestamp is outside the 5-minute window"
        canonical = canonical_request(
            seen.method,
            seen.path.encode(),
            seen.query.encode(),
            seen.headers,
            signed,
            seen.body,
        )
        if signature(secret_key, string_to_sign(ts, canonical)) != fields.get("Signature"):
            return "AUTH.SignatureDoesNotMatch", "the request signature does not match"
        return None

    # -- serving ------------------------------------------------------------------------

    def start(self) -> None:
        thread = threading.Thread(target=self._accept_loop, name="fault-server", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            for conn in list(self._conns):
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._sock.close()

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self.accepted += 1
                self._conns.add(conn)
                # Finished connection threads are dropped, so a long run does not pile them up.
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        try:
            if self.tls is not None:
                raw = conn
                raw.settimeout(5)
                conn = self.tls.wrap_socket(raw, server_side=True)
                conn.settimeout(None)
                with self._lock:  # stop() must shut down the socket that now owns the fd
                    self._conns.discard(raw)
                    self._conns.add(conn)
            while not self.stopping.is_set():
                request, buffer = _read_request(conn, buffer)
                if request is None:
                    return
                method, target, headers, body = request
                path, _, query = target.partition("?")
                with self._lock:
                    self.requests += 1
                    number = self.requests
                    seen = Seen(number, method, path, query, headers, body, time.monotonic())
                    if self.keep_seen:
                        self.seen.append(seen)
                    step = self.script[min(number, len(self.script)) - 1]
                if not step(self, conn, seen):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()


def _read_request(
    conn: socket.socket, buffer: bytes
) -> tuple[tuple[str, str, dict[str, str], bytes] | None, bytes]:
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
    head, _, buffer = buffer.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
    return (method, target, headers, buffer[:length]), buffer[length:]


@contextmanager
def fault_server(
    *script: Reply,
    clock_offset: float = 0.0,
    tls: ssl.SSLContext | None = None,
    keep_seen: bool = True,
) -> Iterator[FaultServer]:
    """Run a :class:`FaultServer` answering with ``script`` for the duration of the block."""
    server = FaultServer(list(script), clock_offset=clock_offset, tls=tls, keep_seen=keep_seen)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def refused_endpoint() -> Iterator[str]:
    """An endpoint on 127.0.0.1 where nothing listens: connecting is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    sock.close()  # the port was bound and released, so nothing listens there now
    yield f"http://{host}:{port}"


def json_body(code: str, message: str, data: str | None = None) -> bytes:
    extra = f',"data":{data}' if data is not None else ""
    return f'{{"code":"{code}","message":"{message}"{extra}}}'.encode()
