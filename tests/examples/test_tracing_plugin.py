"""The example tracing plugin (examples/tracing-plugin), driven through real clients.

Its installation through the entry point is covered in tests/distribution; here its behaviour:
header per attempt, one trace per call across retries, spans with timings, and replacing the
entry point's default instance with a configured one.
"""

from __future__ import annotations

import importlib
import re
from importlib.metadata import EntryPoint
from typing import Any

import httpx
import pytest

from cdnetworks.core import refresh_entry_points
from cdnetworks.core.plugins import manager
from tests.conftest import Mode

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-01$")

pytestmark = pytest.mark.usefixtures("example_sources")


def tracing() -> Any:
    return importlib.import_module("cdnetworks_tracing")


def flaky_then_ok(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, headers={"x-cnc-request-id": "r-1"})
        return httpx.Response(200, json={"ok": True}, headers={"x-cnc-request-id": "r-2"})

    return httpx.MockTransport(handler)


def test_header_per_attempt_and_one_span_per_call(mode: Mode) -> None:
    seen: list[httpx.Request] = []
    exported: list[Any] = []
    plugin = tracing().TracingPlugin(on_span=exported.append)
    transport = flaky_then_ok(seen)  # httpx.MockTransport serves sync and async clients
    client = mode.client(endpoint="https://api.example.com", transport=transport, plugins=[plugin])

    mode.run(client.invoke, "GET", "/vmp/images")

    ids = [TRACEPARENT.match(r.headers["traceparent"]) for r in seen]
    assert all(ids)
    assert len(ids) == 2
    trace_ids = {m.group(1) for m in ids if m}
    span_ids = {m.group(2) for m in ids if m}
    assert len(trace_ids) == 1  # retries share the trace...
    assert len(span_ids) == 2  # ...but each attempt is a span of its own
    (span,) = exported
    assert list(plugin.spans) == [span]
    assert span.trace_id in trace_ids
    assert span.action == "GET /vmp/images"
    assert span.outcome == "success"
    assert span.status_code == 200
    assert span.request_id == "r-2"
    assert len(span.attempt_durations) == 2
    assert span.duration >= sum(span.attempt_durations)
    assert plugin._open == {}  # nothing left behind


def test_failed_call_is_traced_too(mode: Mode) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"code": "NotFound", "message": "no"})

    transport = httpx.MockTransport(handler)
    plugin = tracing().TracingPlugin(keep=1)
    client = mode.client(endpoint="https://api.example.com", transport=transport, plugins=[plugin])
    for _ in range(2):
        with pytest.raises(Exception, match="NotFound"):
            mode.run(client.invoke, "GET", "/missing")
    assert len(plugin.spans) == 1  # keep=1 bounds the memory
    assert plugin.spans[0].outcome == "error"
    assert plugin.spans[0].status_code == 404


def test_configured_instance_replaces_the_entry_point_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = tracing()
    ep = EntryPoint("tracing", "cdnetworks_tracing:plugin", "cdnetworks.plugins")

    def fake_entry_points(group: str) -> list[EntryPoint]:
        return [ep] if group == "cdnetworks.plugins" else []

    monkeypatch.setattr(manager, "entry_points", fake_entry_points)
    refresh_entry_points()
    try:
        from cdnetworks.core import Client

        seen: list[httpx.Request] = []
        default = Client(
            access_key="AK",
            secret_key="SK",
            endpoint="https://api.example.com",
            transport=flaky_then_ok(seen),
        )
        assert default.plugin_manager.get_plugin("tracing") is module.plugin
        default.close()

        mine = module.TracingPlugin(header="x-trace")
        configured = Client(
            access_key="AK",
            secret_key="SK",
            endpoint="https://api.example.com",
            transport=flaky_then_ok(seen),
            plugins=[mine],
        )
        assert configured.plugin_manager.get_plugin("tracing") is mine
        configured.invoke("GET", "/vmp/images")
        configured.close()
        assert "x-trace" in seen[-1].headers
        assert "traceparent" not in seen[-1].headers
    finally:
        monkeypatch.undo()
        refresh_entry_points()
