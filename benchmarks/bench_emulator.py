"""What the emulator costs: per call in-process and over loopback, and async throughput.

One GET ``/vmp/images?limit=20`` answered three ways: a canned ``httpx.MockTransport`` (the
floor: no signature check, no state), the emulator in-process (signature verified, listing
filtered, sorted and paged), and the emulator's loopback HTTP server (plus real sockets and
HTTP parsing). Then many async calls at a fixed concurrency against the server, as a load test
would run them, reported per call and as requests per second: once from the SDK's
``AsyncClient`` and once from bare asyncio keep-alive sockets replaying one signed request, which
shows what the server itself sustains (httpx's async pool is known to slow down with many
concurrent requests: encode/httpx#3215).
"""

from __future__ import annotations

import asyncio
import statistics
import time

import anyio
import httpx
from harness import Case, Row, compare

from cdnetworks.core import AkskAuth, AsyncClient, Client, Timeout
from cdnetworks.core.emulator import Emulator

BODY = b'{"images":[{"id":"img-1","name":"a","type":"COMMON","size":"20","state":"ACTIVE"}]}'
PARAMS = {"limit": 20}


def _canned() -> httpx.MockTransport:
    headers = {"content-type": "application/json", "x-cnc-request-id": "bench"}
    return httpx.MockTransport(lambda request: httpx.Response(200, content=BODY, headers=headers))


def _throughput(endpoint: str, emu: Emulator, calls: int, concurrency: int, rounds: int) -> float:
    """Median seconds per call over ``rounds`` batches of ``calls`` at ``concurrency``."""

    async def batch() -> float:
        limiter = anyio.Semaphore(concurrency)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        http = httpx.AsyncClient(limits=limits, timeout=None)  # noqa: S113 - set per request
        async with AsyncClient(
            **{**emu.client_kwargs(), "endpoint": endpoint},
            http_client=http,
            timeout=Timeout(30),
            load_entry_points=False,
        ) as client:

            async def one() -> None:
                async with limiter:
                    await client.invoke("GET", "/vmp/images", params=PARAMS)

            started = time.perf_counter()
            async with anyio.create_task_group() as tg:
                for _ in range(calls):
                    tg.start_soon(one)
            elapsed = time.perf_counter() - started
        await http.aclose()
        return elapsed / calls

    return statistics.median(anyio.run(batch) for _ in range(rounds))


def _raw_request(endpoint: str, emu: Emulator) -> bytes:
    """One signed keep-alive GET as bytes (replays are accepted unless reject_replays is set)."""
    request = httpx.Request("GET", f"{endpoint}/vmp/images", params=PARAMS)
    AkskAuth(emu.access_key, emu.secret_key).sign(request)
    head = f"GET {request.url.raw_path.decode()} HTTP/1.1\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in request.headers.items())
    return (head + "\r\n").encode()


def _raw_throughput(endpoint: str, emu: Emulator, calls: int, concurrency: int) -> float:
    """Seconds per call from ``concurrency`` asyncio connections sending back to back."""
    raw = _raw_request(endpoint, emu)
    url = httpx.URL(endpoint)

    async def connection(count: int) -> None:
        reader, writer = await asyncio.open_connection(url.host, url.port)
        for _ in range(count):
            writer.write(raw)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
        writer.close()
        await writer.wait_closed()

    async def batch() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(connection(calls // concurrency) for _ in range(concurrency)))
        return (time.perf_counter() - started) / calls

    return asyncio.run(batch())


def run(quick: bool) -> list[Row]:
    number, repeat = (30, 3) if quick else (200, 9)
    emu = Emulator()
    canned = Client(
        access_key="AKBENCH", secret_key="sk-bench", transport=_canned(), load_entry_points=False
    )
    in_process = Client(**emu.client_kwargs(), transport=emu.transport(), load_entry_points=False)
    rows: list[Row] = []
    with emu.serve() as server:
        loopback = Client(**server.client_kwargs(), load_entry_points=False)
        rows += compare(
            "one GET /vmp/images (limit 20), sync Client.invoke",
            Case("canned MockTransport (floor)", lambda: canned.invoke("GET", "/vmp/images")),
            [
                Case(
                    "emulator in-process",
                    lambda: in_process.invoke("GET", "/vmp/images", params=PARAMS),
                ),
                Case(
                    "emulator over loopback HTTP",
                    lambda: loopback.invoke("GET", "/vmp/images", params=PARAMS),
                ),
            ],
            number=number,
            repeat=repeat,
        )
        loopback.close()
        calls, concurrency, rounds = (500, 100, 1) if quick else (2000, 100, 3)
        per_call = _throughput(server.endpoint, emu, calls, concurrency, rounds)
        raw_per_call = _raw_throughput(server.endpoint, emu, calls, concurrency)
    group = f"{calls} async calls, concurrency {concurrency}, loopback server"
    rows += [
        Row(
            group,
            "bare asyncio keep-alive sockets (server capacity)",
            raw_per_call,
            1.0,
            f"{1 / raw_per_call:,.0f} requests/s",
        ),
        Row(
            group,
            "AsyncClient.invoke (wall time per call)",
            per_call,
            per_call / raw_per_call,
            f"{1 / per_call:,.0f} requests/s",
        ),
    ]
    canned.close()
    in_process.close()
    return rows
