"""A small, fast HTTP/1.1 keep-alive server for benchmarks, run in its own process.

``python benchmarks/loopback_server.py`` prints ``port <n>`` once it listens on 127.0.0.1 and
answers every request with the same 20-image page. Two control paths make a benchmark honest:

* ``GET /__verify/<secret>``: from now on, check each request's AK/SK signature (with the
  core's own verification functions) and count valid and invalid ones; ``GET /__verify/`` stops.
  Both answer with the counts of the period they end.
* ``GET /__stats``: ``{"connections": n, "requests": n, "valid": n, "invalid": n}``.

Running in a separate process keeps the server's work off the benchmark's GIL.
"""

from __future__ import annotations

import asyncio
import json
import sys
from email.utils import formatdate
from urllib.parse import unquote

PAGE = json.dumps(
    {
        "images": [
            {
                "id": f"img-{i:06d}",
                "name": f"image-{i}",
                "type": "CUSTOM",
                "createdAt": "2024-11-04 14:17:41",
                "size": "40",
                "state": "ACTIVE",
            }
            for i in range(20)
        ]
    }
).encode()


class Server:
    def __init__(self) -> None:
        self.stats = {"connections": 0, "requests": 0, "valid": 0, "invalid": 0}
        self.secret: str | None = None

    def _check(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        from cdnetworks.core.signing import canonical_request, signature, string_to_sign

        assert self.secret is not None
        try:
            fields = dict(
                p.strip().split("=", 1)
                for p in headers["authorization"].split(" ", 1)[1].split(",")
            )
            path, _, query = target.partition("?")
            canonical = canonical_request(
                method,
                path.encode(),
                query.encode(),
                headers,
                fields["SignedHeaders"].split(";"),
                body,
            )
            to_sign = string_to_sign(headers["x-cnc-timestamp"], canonical)
            ok = signature(self.secret, to_sign) == fields["Signature"]
        except (KeyError, ValueError, IndexError):
            ok = False
        self.stats["valid" if ok else "invalid"] += 1

    def _answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
        if target.startswith("/__verify/"):
            before = json.dumps(self.stats).encode()  # the counts of the period that ends
            self.secret = unquote(target.removeprefix("/__verify/")) or None
            self.stats.update(valid=0, invalid=0)
            return before
        if target == "/__stats":
            return json.dumps(self.stats).encode()
        self.stats["requests"] += 1
        if self.secret is not None:
            self._check(method, target, headers, body)
        return PAGE

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats["connections"] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *rest = head.decode("latin-1").split("\r\n")
                method, target, _ = line.split(" ", 2)
                headers = {}
                for h in rest:
                    if h:
                        k, _, v = h.partition(":")
                        headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                payload = self._answer(method, target, headers, body)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"x-cnc-request-id: bench\r\nDate: "
                    + formatdate(usegmt=True).encode()
                    + b"\r\nContent-Length: "
                    + str(len(payload)).encode()
                    + b"\r\n\r\n"
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def main() -> None:
    server = Server()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=256)
    port = listener.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    async with listener:
        await listener.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
