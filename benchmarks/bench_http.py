"""Per call over a real loopback HTTP server, and cold import time, against the alternatives.

Every contender sends ``GET /vmp/images?limit=20&state=ACTIVE`` to the same keep-alive server
(``loopback_server.py``, its own process) and decodes the 20-image JSON page it returns:

* raw httpx with hand-made, precomputed headers: the floor (no signing at all);
* raw httpx signing each request with the SDK's ``AkskAuth``;
* ``Client.invoke`` / ``AsyncClient.invoke`` and the typed ``ImageManageClient.vmp_query_image``;
* ``wangsu-sdk-python`` (``AkSkAuth.invoke``), the other official Python SDK for this API
  family, when installed (``uv sync --all-packages --group bench``). It builds ``https://`` URLs
  only, so its URL prefix is switched to ``http://`` for the loopback server; everything else is
  its own code, including ``requests.get`` per call (a new connection each time).

Before timing, the server checks every contender's signature once (all must verify). The note
column says how many TCP connections 50 calls opened: warm reuse is part of the comparison.
Async rows time sequential awaits on one event loop (batches of 10 per loop entry).

Then the throughput of many concurrent calls (the SDK against raw httpx on one bounded pool),
and the cold import time of each package in a fresh interpreter (``-X importtime``,
cumulative, median of several runs) against ``import httpx`` alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import pathlib
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from harness import Case, Row, compare

from cdnetworks.core import AkskAuth, AsyncClient, Client

HERE = pathlib.Path(__file__).resolve().parent
AK, SK = "AKBENCH", "sk-bench-secret"
PATH, QUERY = "/vmp/images", "limit=20&state=ACTIVE"
PARAMS = {"limit": 20, "state": "ACTIVE"}
BATCH = 10
PROBE_CALLS = 50


@contextmanager
def loopback_server() -> Iterator[str]:
    """Start ``loopback_server.py`` in a child process; yield its base URL; stop it."""
    proc = subprocess.Popen(  # noqa: S603 - our own script, no shell
        [sys.executable, str(HERE / "loopback_server.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().split()[1])
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _control(base: str, path: str) -> dict[str, int]:
    stats: dict[str, int] = httpx.get(base + path).json()
    return stats


def _hand_made_headers(host: str) -> dict[str, str]:
    return {
        "Host": host,
        "Content-Type": "application/json",
        "Accept": "application/json",
        "x-cnc-accessKey": AK,
        "x-cnc-timestamp": "1764201600",
        "x-cnc-auth-method": "AKSK",
        "Authorization": f"CNC-HMAC-SHA256 Credential={AK}, SignedHeaders=content-type;host, "
        f"Signature={'0' * 64}",
    }


def _wangsu_call(base: str) -> Callable[[], object] | None:
    try:
        from wangsu.common.auth.AkSkAuth import AkSkAuth as WangsuAuth
        from wangsu.common.auth.AkSkConfig import AkSkConfig
        from wangsu.common.Constant.Constant import Constant
    except ImportError:
        return None
    Constant.HTTPS_REQUEST_PREFIX = "http://"  # it only builds https URLs; the server is http
    config = AkSkConfig()
    config.access_key, config.secret_key = AK, SK
    config.uri, config.method = f"{PATH}?{QUERY}", "GET"
    config.end_point = base.removeprefix("http://")
    return lambda: json.loads(WangsuAuth.invoke(config, None))


def _concurrent_rows(base: str, quick: bool) -> list[Row]:
    """Throughput of many concurrent calls: the SDK against raw httpx on the same pool."""
    calls, concurrency, pool = (500, 100, 20) if quick else (2000, 100, 20)
    group = f"{calls} async calls at concurrency {concurrency}, pool of {pool} connections"

    async def measure(kind: str) -> float:
        limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
        async with httpx.AsyncClient(base_url=base, limits=limits) as http:
            sdk = AsyncClient(
                access_key=AK,
                secret_key=SK,
                endpoint=base,
                http_client=http,
                load_entry_points=False,
            )
            headers = _hand_made_headers(base.removeprefix("http://"))
            slots = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with slots:
                    if kind == "raw":
                        (await http.get(f"{PATH}?{QUERY}", headers=headers)).json()
                    else:
                        await sdk.invoke("GET", PATH, params=PARAMS)

            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(calls)))
            return (time.perf_counter() - started) / calls

    rows: list[Row] = []
    names = {
        "raw": "raw httpx.AsyncClient, hand-made headers (floor)",
        "sdk": "AsyncClient.invoke",
    }
    samples: dict[str, list[float]] = {k: [] for k in names}
    for _ in range(1 if quick else 3):
        for kind in names:
            samples[kind].append(asyncio.run(measure(kind)))
    base_s = statistics.median(samples["raw"])
    for kind, name in names.items():
        per_call = statistics.median(samples[kind])
        rows.append(Row(group, name, per_call, per_call / base_s, f"{1 / per_call:,.0f} calls/s"))
    return rows


def _connections(base: str, fn: Callable[[], object], calls: int = PROBE_CALLS) -> int:
    """New TCP connections ``calls`` warm calls of ``fn`` open (the control request's own
    connection, one per ``_control`` call, is not counted)."""
    fn()  # warm: the first call of a pooled client opens its connection
    before = _control(base, "/__stats")["connections"]
    for _ in range(calls):
        fn()
    return _control(base, "/__stats")["connections"] - before - 1


def _note(rows: list[Row], notes: dict[str, str]) -> list[Row]:
    return [dataclasses.replace(r, note=notes.get(r.name, r.note)) for r in rows]


def _sync_rows(base: str, quick: bool) -> list[Row]:
    number, repeat = (30, 5) if quick else (200, 15)
    host = base.removeprefix("http://")
    floor = httpx.Client(base_url=base)
    signed = httpx.Client(base_url=base, auth=AkskAuth(AK, SK))
    sdk = Client(access_key=AK, secret_key=SK, endpoint=base, load_entry_points=False)
    headers = _hand_made_headers(host)
    cases = [
        Case(
            "raw httpx, hand-made headers (floor)",
            lambda: floor.get(f"{PATH}?{QUERY}", headers=headers).json(),
        ),
        Case("raw httpx + AkskAuth", lambda: signed.get(PATH, params=PARAMS).json()),
        Case("Client.invoke", lambda: sdk.invoke("GET", PATH, params=PARAMS).data),
    ]
    product: Any = None
    try:
        from cdnetworks.imagemanage import ImageManageClient

        product = ImageManageClient(client=sdk)
        cases.append(
            Case("ImageManageClient.vmp_query_image", lambda: product.vmp_query_image(**PARAMS))
        )
    except ImportError:
        pass
    wangsu = _wangsu_call(base)
    if wangsu is not None:
        cases.append(Case("wangsu-sdk-python AkSkAuth.invoke", wangsu))
    try:
        _control(base, f"/__verify/{SK}")
        for case in cases[1:]:
            case.fn()
        stats = _control(base, "/__verify/")
        if stats["invalid"] or stats["valid"] != len(cases) - 1:
            raise RuntimeError(f"a contender's signature did not verify: {stats}")
        notes = {
            c.name: f"{_connections(base, c.fn)} new connections / {PROBE_CALLS} warm calls"
            for c in cases
        }
        rows = compare(
            "GET over loopback HTTP, sync", cases[0], cases[1:], number=number, repeat=repeat
        )
        if wangsu is None:
            notes[cases[0].name] += "; wangsu-sdk-python not installed (uv sync --group bench)"
        return _note(rows, notes)
    finally:
        for c in (floor, signed, sdk):
            c.close()


def _async_rows(base: str, quick: bool) -> list[Row]:
    number, repeat = (5, 5) if quick else (30, 15)
    host = base.removeprefix("http://")
    loop = asyncio.new_event_loop()
    floor = httpx.AsyncClient(base_url=base)
    signed = httpx.AsyncClient(base_url=base, auth=AkskAuth(AK, SK))
    sdk = AsyncClient(access_key=AK, secret_key=SK, endpoint=base, load_entry_points=False)
    headers = _hand_made_headers(host)

    async def floor_call() -> object:
        return (await floor.get(f"{PATH}?{QUERY}", headers=headers)).json()

    async def signed_call() -> object:
        return (await signed.get(PATH, params=PARAMS)).json()

    async def sdk_call() -> object:
        return (await sdk.invoke("GET", PATH, params=PARAMS)).data

    calls: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("raw httpx.AsyncClient, hand-made headers (floor)", floor_call),
        ("raw httpx.AsyncClient + AkskAuth", signed_call),
        ("AsyncClient.invoke", sdk_call),
    ]
    try:
        from cdnetworks.imagemanage import AsyncImageManageClient

        product = AsyncImageManageClient(client=sdk)

        async def product_call() -> object:
            return await product.vmp_query_image(**PARAMS)

        calls.append(("AsyncImageManageClient.vmp_query_image", product_call))
    except ImportError:
        pass

    def batched(fn: Callable[[], Awaitable[object]]) -> Callable[[], object]:
        async def batch() -> None:
            for _ in range(BATCH):
                await fn()

        return lambda: loop.run_until_complete(batch())

    cases = [Case(name, batched(fn)) for name, fn in calls]
    try:
        _control(base, f"/__verify/{SK}")
        for _, fn in calls[1:]:
            loop.run_until_complete(fn())
        stats = _control(base, "/__verify/")
        if stats["invalid"] or stats["valid"] != len(calls) - 1:
            raise RuntimeError(f"a contender's signature did not verify: {stats}")
        notes = {
            c.name: f"{_connections(base, c.fn, PROBE_CALLS // BATCH)} new connections / "
            f"{PROBE_CALLS} warm calls"
            for c in cases
        }
        rows = compare(
            "GET over loopback HTTP, async", cases[0], cases[1:], number=number, repeat=repeat
        )
        rows = [dataclasses.replace(r, median_s=r.median_s / BATCH) for r in rows]
        notes[cases[0].name] = notes[cases[0].name] + "; wangsu-sdk-python has no async client"
        return _note(rows, notes)
    finally:
        loop.run_until_complete(floor.aclose())
        loop.run_until_complete(signed.aclose())
        loop.run_until_complete(sdk.aclose())
        loop.close()


def _import_once(module: str) -> tuple[float, float]:
    """Cumulative import time of ``module`` (``-X importtime``) and wall time, in a fresh
    interpreter."""
    done = subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            f"import time; t = time.perf_counter(); import {module}; "
            "print(time.perf_counter() - t)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1e6, float(done.stdout)
    raise RuntimeError(f"no importtime line for {module}")


def _import_rows(quick: bool) -> list[Row]:
    runs = 3 if quick else 15
    modules = {
        "import httpx": "httpx",
        "import cdnetworks.core": "cdnetworks.core",
        "import cdnetworks.imagemanage": "cdnetworks.imagemanage",
        "import wangsu.common.auth.AkSkAuth": "wangsu.common.auth.AkSkAuth",
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in modules}
    for _ in range(runs):  # interleaved, so drift in the machine's load hits all alike
        for name, module in modules.items():
            with contextlib.suppress(subprocess.CalledProcessError):  # not installed here
                samples[name].append(_import_once(module))
    rows: list[Row] = []
    base: float | None = None
    for name, pairs in samples.items():
        if not pairs:
            continue
        cumulative = statistics.median(c for c, _ in pairs)
        wall = statistics.median(w for _, w in pairs)
        base = base or cumulative
        rows.append(
            Row(
                f"cold import (-X importtime, median of {runs})",
                name,
                cumulative,
                cumulative / base,
                f"wall {wall * 1e3:.1f} ms",
            )
        )
    return rows


def run(quick: bool) -> list[Row]:
    with loopback_server() as base:
        rows = _sync_rows(base, quick) + _async_rows(base, quick) + _concurrent_rows(base, quick)
    return rows + _import_rows(quick)
