"""What the call-wrapping hook costs per call: nothing when unused, and with a wrapper or the
OpenTelemetry plugin registered.

All cases call ``Client.invoke`` over the same in-process ``httpx.MockTransport`` (as
``bench_core``), so the differences are the hooks' own work. The last group times the one check
a call without wrappers makes (is a ``cdnetworks_wrap_call`` implementation registered?) beside
a whole call.

``CDNETWORKS_BENCH_BASELINE_CORE=/path/to/core/src`` (the core of another checkout, e.g. from
``git archive <commit> core``) adds a group timing ``Client.invoke`` of that core beside this
tree's, in the same process, both without plugins: a before/after of a change on the call path.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
from collections.abc import Callable, Generator
from typing import Any

import httpx
from harness import Case, Row, compare

from cdnetworks.core import Client, hookimpl

BODY = b'{"code":"0","message":"ok","data":{"images":[{"id":"img-1","name":"a"}]}}'
HEADERS = {"content-type": "application/json", "x-cnc-request-id": "bench-1"}
PARAMS = {"limit": 20, "state": "ACTIVE"}


class NoOpWrapper:
    name = "bench.wrapper"

    @hookimpl(wrapper=True)
    def cdnetworks_wrap_call(self) -> Generator[None, Any, Any]:
        return (yield)


def _client(*plugins: object) -> Client:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=BODY, headers=HEADERS))
    return Client(
        access_key="AKBENCH",
        secret_key="sk-bench",
        transport=transport,
        load_entry_points=False,
        plugins=list(plugins),
    )


def run(quick: bool) -> list[Row]:
    number, repeat = (50, 5) if quick else (300, 15)
    clients = {"none": _client(), "wrapper": _client(NoOpWrapper())}
    cases = [
        Case("Client.invoke, one no-op cdnetworks_wrap_call wrapper", _call(clients["wrapper"]))
    ]
    try:
        from opentelemetry.sdk.trace import TracerProvider

        from cdnetworks.otel import OpenTelemetryPlugin
    except ImportError:  # cdnetworks-otel or opentelemetry-sdk not installed
        pass
    else:
        from opentelemetry.trace import NoOpTracerProvider

        clients["otel-noop"] = _client(OpenTelemetryPlugin(tracer_provider=NoOpTracerProvider()))
        # Recording spans, exported nowhere: the SDK's own cost, not an exporter's.
        clients["otel-sdk"] = _client(OpenTelemetryPlugin(tracer_provider=TracerProvider()))
        cases += [
            Case(
                "Client.invoke, cdnetworks-otel, no provider (API no-op)",
                _call(clients["otel-noop"]),
            ),
            Case(
                "Client.invoke, cdnetworks-otel recording (SDK, no exporter)",
                _call(clients["otel-sdk"]),
            ),
        ]
    rows = compare(
        "call wrappers, GET via in-process transport",
        Case("Client.invoke, no plugin", _call(clients["none"])),
        cases,
        number=number,
        repeat=repeat,
    )
    host = clients["none"]._plugins
    rows += compare(
        "the check a call without wrappers makes",
        Case("Client.invoke, no plugin", _call(clients["none"])),
        [Case("PluginHost.call_wrappers() alone", host.call_wrappers)],
        number=number,
        repeat=repeat,
    )
    baseline = os.environ.get("CDNETWORKS_BENCH_BASELINE_CORE")
    if baseline:
        old = _load_core(pathlib.Path(baseline))
        old_client = old.Client(
            access_key="AKBENCH",
            secret_key="sk-bench",
            transport=httpx.MockTransport(
                lambda r: httpx.Response(200, content=BODY, headers=HEADERS)
            ),
            load_entry_points=False,
        )

        def old_call() -> object:
            return old_client.invoke("GET", "/vmp/images", params=PARAMS).data

        rows += compare(
            "no plugin: the baseline core vs this tree",
            Case(f"Client.invoke, baseline core ({baseline})", old_call),
            [Case("Client.invoke, this tree", _call(clients["none"]))],
            number=number,
            repeat=repeat,
        )
        old_client.close()
    for client in clients.values():
        client.close()
    return rows


def _load_core(src: pathlib.Path) -> Any:
    """Another checkout's ``cdnetworks.core``, imported under a name of its own."""
    init = src / "cdnetworks" / "core" / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        "baseline_core", init, submodule_search_locations=[str(init.parent)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_core"] = module
    spec.loader.exec_module(module)
    return module


def _call(client: Client) -> Callable[[], object]:
    def call() -> object:
        return client.invoke("GET", "/vmp/images", params=PARAMS).data

    return call
