"""A real HTTP/1.1 server for an emulator, on loopback, in a background thread.

One asyncio event loop (in its own thread) serves every connection, with keep-alive, so a
hundred concurrent clients cost a hundred sockets, not a hundred threads; injected latency is an
``asyncio.sleep`` that holds no thread. HTTP parsing is h11's (the library httpx's own HTTP/1.1
stack uses). A dropped connection (the ``Drop`` fault) is a close without an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from types import TracebackType

import h11
import httpx

from ..errors import ConfigurationError
from .app import Answer, ClientKwargs, Emulator
from .services import EmulatorRequest, Reply

_READ_SIZE = 65536
_START_TIMEOUT = 10.0


class EmulatorServer:
    """Serves an emulator on ``host:port``; ``endpoint`` is known once started."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigurationError(f"port must be a whole number from 0 to 65535, not {port!r}")
        self.emulator = emulator
        self.host = host
        self._port = port
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: Connections accepted so far (keep-alive makes this far smaller than the requests).
        self.connections_accepted = 0

    @property
    def port(self) -> int:
        return self._port

    @property
    def endpoint(self) -> str:
        if not self._ready.is_set() or self._error is not None:
            raise ConfigurationError("the emulator server is not running; call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    def client_kwargs(self) -> ClientKwargs:
        """``access_key``, ``secret_key`` and ``endpoint`` for a client talking to this server."""
        kwargs = self.emulator.client_kwargs()
        kwargs["endpoint"] = self.endpoint
        return kwargs

    def start(self) -> EmulatorServer:
        if self._thread is not None:
            raise ConfigurationError("the emulator server was already started")
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._main()), name="cdnetworks-emulator", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT):
            raise ConfigurationError("the emulator server did not start within 10 s")
        if self._error is not None:
            self._thread.join()
            raise ConfigurationError(
                f"the emulator server cannot listen on {self.host}:{self._port}: {self._error}"
            ) from self._error
        return self

    def stop(self) -> None:
        """Close the listening socket and every connection, and wait for the thread to end."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stop.set)
        thread.join()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops (or ``timeout`` passes); ``True`` if it stopped.

        Waits in short slices so Ctrl-C reaches the main thread promptly.
        """
        if self._thread is None:
            return True
        remaining = timeout
        while self._thread.is_alive():
            step = 0.2 if remaining is None else min(0.2, remaining)
            self._thread.join(step)
            if remaining is not None:
                remaining -= step
                if remaining <= 0:
                    break
        return not self._thread.is_alive()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._thread is not None and self._thread.is_alive() else "stopped"
        return f"EmulatorServer({self.host}:{self._port}, {state})"

    # -- inside the server thread ---------------------------------------------------------

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            server = await asyncio.start_server(
                self._connection, self.host, self._port, backlog=1024
            )
        except Exception as exc:  # OSError, or a host name that cannot be resolved or bound
            self._error = exc
            self._ready.set()
            return
        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections_accepted += 1
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                try:
                    request = await _read_request(conn, reader)
                except h11.RemoteProtocolError as exc:
                    if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                        bad = Reply.error(400, "BadRequest", f"malformed HTTP request: {exc}")
                        bad.headers.append(("x-cnc-request-id", str(uuid.uuid4())))
                        writer.write(_encode(conn, bad))
                        await writer.drain()
                    break
                if request is None:
                    break
                try:
                    answer = self.emulator.answer(request)
                except Exception as exc:  # an emulator bug: answer it, keep serving others
                    failed = Reply.error(500, "InternalError", f"{type(exc).__name__}: {exc}")
                    failed.headers.append(("x-cnc-request-id", request.request_id or "none"))
                    answer = Answer(failed)
                if answer.delay > 0:
                    await asyncio.sleep(answer.delay)
                if answer.reply is None:
                    break
                writer.write(_encode(conn, answer.reply))
                await writer.drain()
                if conn.our_state is h11.MUST_CLOSE:
                    break
                conn.start_next_cycle()
        except (ConnectionError, asyncio.CancelledError, h11.LocalProtocolError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)


async def _read_request(
    conn: h11.Connection, reader: asyncio.StreamReader
) -> EmulatorRequest | None:
    """The next complete request on the connection, or ``None`` once the client closed it."""
    head: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(_READ_SIZE))
        elif isinstance(event, h11.Request):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert head is not None
            return EmulatorRequest(
                method=head.method.decode("ascii"),
                target=bytes(head.target),
                headers=httpx.Headers(
                    [(k.decode("latin-1"), v.decode("latin-1")) for k, v in head.headers]
                ),
                body=bytes(body),
            )
        else:  # ConnectionClosed, or PAUSED after a close
            return None


def _encode(conn: h11.Connection, reply: Reply) -> bytes:
    headers = [(k, v) for k, v in reply.headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(reply.body))))
    data = conn.send(h11.Response(status_code=reply.status, headers=headers)) or b""
    if reply.body:
        data += conn.send(h11.Data(data=reply.body)) or b""
    data += conn.send(h11.EndOfMessage()) or b""
    return data
