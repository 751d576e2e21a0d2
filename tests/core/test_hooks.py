"""Hooks fire in order with the right payloads; plugins load from entry points or arguments."""

from __future__ import annotations

import logging
import pathlib
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
import respx

from cdnetworks.core import (
    Action,
    Client,
    ConfigurationError,
    LoggingPlugin,
    PluginError,
    Product,
    RequestDraft,
    RequestModel,
    ResponseModel,
    ServerError,
    hookimpl,
    products,
    refresh_entry_points,
)
from cdnetworks.core.signing import canonical_request, signature, string_to_sign
from tests.conftest import CANARY_SECRET, Mode

URL = "https://api.cdnetworks.com/vmp/images"
JSON_HEADERS = {"content-type": "application/json"}


class Recorder:
    """Records every hook with its payload."""

    name = "test.recorder"

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    @hookimpl
    def cdnetworks_prepare_request(
        self, request: RequestDraft, action: str, attempt: int, call_id: str
    ) -> None:
        request.headers["X-Trace-Id"] = f"trace-{attempt}"
        request.query.append(("traced", "yes"))
        self.events.append(("prepare", {"action": action, "attempt": attempt, "call_id": call_id}))

    @hookimpl
    def cdnetworks_after_response(
        self,
        action: str,
        attempt: int,
        call_id: str,
        request: httpx.Request,
        response: httpx.Response | None,
        error: Exception | None,
        duration: float,
        request_id: str | None,
    ) -> None:
        self.events.append(
            (
                "after",
                {
                    "attempt": attempt,
                    "call_id": call_id,
                    "status": response.status_code if response else None,
                    "error": type(error).__name__ if error else None,
                    "duration": duration,
                    "request_id": request_id,
                    "trace": request.headers.get("x-trace-id"),
                    "signed": "authorization" in request.headers,
                },
            )
        )

    @hookimpl
    def cdnetworks_on_retry(
        self, action: str, attempt: int, call_id: str, delay: float, reason: str
    ) -> None:
        self.events.append(
            ("retry", {"attempt": attempt, "call_id": call_id, "delay": delay, "reason": reason})
        )

    @hookimpl
    def cdnetworks_call_finished(
        self,
        action: str,
        call_id: str,
        attempts: int,
        duration: float,
        status_code: int | None,
        request_id: str | None,
        outcome: str,
        error: Exception | None,
    ) -> None:
        self.events.append(
            (
                "finished",
                {
                    "action": action,
                    "call_id": call_id,
                    "attempts": attempts,
                    "status": status_code,
                    "request_id": request_id,
                    "outcome": outcome,
                    "error": type(error).__name__ if error else None,
                },
            )
        )


def test_hooks_fire_in_order_with_payloads(mode: Mode, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(url__startswith=URL).mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(503, headers={"x-cnc-request-id": "r2"}),
            httpx.Response(200, json={}, headers={"x-cnc-request-id": "r3"}),
        ]
    )
    rec = Recorder()
    client = mode.client(plugins=[rec])
    mode.run(client.invoke, "GET", "/vmp/images")
    kinds = [k for k, _ in rec.events]
    assert kinds == [
        "prepare",
        "after",
        "retry",
        "prepare",
        "after",
        "retry",
        "prepare",
        "after",
        "finished",
    ]
    call_ids = {e["call_id"] for _, e in rec.events}
    assert len(call_ids) == 1
    afters = [e for k, e in rec.events if k == "after"]
    assert [a["error"] for a in afters] == ["ConnectError", None, None]
    assert [a["status"] for a in afters] == [None, 503, 200]
    assert [a["request_id"] for a in afters] == [None, "r2", "r3"]
    assert [a["trace"] for a in afters] == ["trace-1", "trace-2", "trace-3"]
    assert all(a["signed"] and a["duration"] >= 0 for a in afters)
    assert rec.events[-1][1] == {
        "action": "GET /vmp/images",
        "call_id": call_ids.pop(),
        "attempts": 3,
        "status": 200,
        "request_id": "r3",
        "outcome": "success",
        "error": None,
    }
    # Each attempt starts from the original request: the hook's query addition appears once.
    assert route.calls.last.request.url.raw_path == b"/vmp/images?traced=yes"


def test_call_finished_on_failure(mode: Mode, respx_mock: respx.MockRouter) -> None:
    respx_mock.post(URL).mock(return_value=httpx.Response(500, headers={"x-cnc-request-id": "rx"}))
    rec = Recorder()
    client = mode.client(plugins=[rec])
    with pytest.raises(ServerError):
        mode.run(client.invoke, "POST", "/vmp/images", json={})
    assert rec.events[-1][1]["outcome"] == "error"
    assert rec.events[-1][1]["error"] == "ServerError"
    assert rec.events[-1][1]["request_id"] == "rx"


def test_prepare_hook_changes_are_signed(mode: Mode, respx_mock: respx.MockRouter) -> None:
    class ReplaceBody:
        @hookimpl
        def cdnetworks_prepare_request(self, request: RequestDraft) -> None:
            request.body = b'{"name":"rewritten"}'
            request.headers["X-Cnc-Audit"] = "on"

    route = respx_mock.post(URL).mock(return_value=httpx.Response(200, json={}))
    client = mode.client(plugins=[ReplaceBody()], signed_headers=["x-cnc-audit"])
    mode.run(client.invoke, "POST", "/vmp/images", json={"name": "original"})
    sent = route.calls.last.request
    assert sent.content == b'{"name":"rewritten"}'
    canonical = canonical_request(
        "POST",
        b"/vmp/images",
        b"",
        sent.headers,
        ["content-type", "host", "x-cnc-audit"],
        sent.content,
    )
    sig = signature(CANARY_SECRET, string_to_sign(sent.headers["x-cnc-timestamp"], canonical))
    assert sent.headers["authorization"].endswith(f"Signature={sig}")


def test_a_failing_prepare_plugin_stops_the_call_before_sending(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    class Broken:
        name = "broken-plugin"

        @hookimpl
        def cdnetworks_prepare_request(self) -> None:
            raise RuntimeError("boom")

    rec = Recorder()
    client = mode.client(plugins=[rec, Broken()])
    with pytest.raises(PluginError) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert info.value.plugin == "broken-plugin"
    assert "nothing was sent" in str(info.value)
    assert not respx_mock.calls
    assert rec.events[-1][1]["outcome"] == "error" and rec.events[-1][1]["attempts"] == 0


def test_a_failing_observer_is_logged_and_the_call_goes_on(
    mode: Mode, respx_mock: respx.MockRouter, log_lines: list[str]
) -> None:
    class Noisy:
        name = "noisy-metrics"

        @hookimpl
        def cdnetworks_after_response(self) -> None:
            raise ValueError("metrics backend down")

        @hookimpl
        def cdnetworks_call_finished(self) -> None:
            raise ValueError("still down")

    respx_mock.get(URL).mock(return_value=httpx.Response(200, json={"ok": 1}))
    rec = Recorder()
    client = mode.client(plugins=[Noisy(), rec])
    assert mode.run(client.invoke, "GET", "/vmp/images").data == {"ok": 1}
    assert any(
        "plugin 'noisy-metrics' raised in cdnetworks_after_response" in line for line in log_lines
    )
    assert any("cdnetworks_call_finished" in line and "WARNING" in line for line in log_lines)
    assert rec.events[-1][0] == "finished"  # the other plugin still saw everything


def test_disable_builtin_plugins() -> None:
    with Client(
        access_key="A",
        secret_key="B",
        load_entry_points=False,
        disable_plugins=["cdnetworks.metrics"],
    ) as c:
        assert c.metrics is None
    with pytest.raises(ConfigurationError, match="no plugin of that name"):
        Client(access_key="A", secret_key="B", load_entry_points=False, disable_plugins=["nope"])


# --- products -------------------------------------------------------------------------------


class PingRequest(RequestModel):
    target_id: str
    verbose: bool | None = None


class PingResponse(ResponseModel):
    code: str | None = None
    pong: str = ""


PING = Action("Ping", "GET", "/ping/{targetId}", PingRequest, PingResponse, product="demo")


class DemoClient:
    def __init__(self, client: Client) -> None:
        self.core = client


class DemoProduct:
    @hookimpl
    def cdnetworks_register_products(self, register: Any) -> None:
        register(Product("demo", (PING,), client=DemoClient))


def test_products_register_in_process_and_call_typed(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get("https://api.cdnetworks.com/ping/a%2F..%2Fb").mock(
        return_value=httpx.Response(
            200, json={"code": "0", "pong": "hi", "extra": 1}, headers={"x-cnc-request-id": "rp"}
        )
    )
    client = mode.client(plugins=[DemoProduct()])
    assert client.products["demo"].action("Ping") is PING
    result = mode.run(client.call, PING, target_id="a/../b", verbose=True)
    assert isinstance(result, PingResponse)
    assert (result.pong, result.request_id) == ("hi", "rp")
    assert route.calls.last.request.url.raw_path == b"/ping/a%2F..%2Fb?verbose=true"
    if not mode.is_async:
        assert isinstance(client.product("demo"), DemoClient)
        assert client.product("demo").core is client


def test_typed_call_validates_before_sending(mode: Mode, respx_mock: respx.MockRouter) -> None:
    client = mode.client(plugins=[DemoProduct()])
    with pytest.raises(Exception, match="target_id") as info:
        mode.run(client.call, PING, target_id=123)
    assert type(info.value).__name__ == "ValidationError"
    for bad in ("", "..", "   "):
        with pytest.raises(Exception, match="target_id"):
            mode.run(client.call, PING, target_id=bad)
    with pytest.raises(Exception, match="unexpected argument"):
        mode.run(client.call, PING, target_id="x", nope=1)
    with pytest.raises(Exception, match="not both"):
        mode.run(client.call, PING, PingRequest(target_id="x"), verbose=True)
    with pytest.raises(Exception, match="target_id"):
        mode.run(client.call, PING, PingRequest(target_id=5))  # type: ignore[arg-type]
    assert not respx_mock.calls


def test_duplicate_product_names_are_refused() -> None:
    class Again(DemoProduct):
        pass

    with pytest.raises(ConfigurationError, match="registered twice"):
        Client(
            access_key="A",
            secret_key="B",
            load_entry_points=False,
            plugins=[DemoProduct(), Again()],
        )


# --- a real distribution with entry points ---------------------------------------------------


@pytest.fixture
def installed_plugin_dist(tmp_path: pathlib.Path) -> Iterator[pathlib.Path]:
    """Install a tiny distribution (module + dist-info with entry points) on sys.path."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "cdn_test_plugin.py").write_text(
        textwrap.dedent("""
        from cdnetworks.core import Action, Product, RequestModel, ResponseModel, hookimpl

        SEEN = []

        class Req(RequestModel):
            pass

        class Resp(ResponseModel):
            pass

        @hookimpl
        def cdnetworks_prepare_request(request):
            request.headers["X-From-Entry-Point"] = "1"

        @hookimpl
        def cdnetworks_call_finished(action, outcome):
            SEEN.append((action, outcome))

        @hookimpl
        def cdnetworks_register_products(register):
            register(Product("epdemo", (Action("EpPing", "GET", "/ep", Req, Resp),)))
    """)
    )
    info = site / "cdn_test_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cdn-test-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[cdnetworks.plugins]\ntest-plugin = cdn_test_plugin\n\n"
        "[cdnetworks.products]\nepdemo = cdn_test_plugin\n"
    )
    sys.path.insert(0, str(site))
    refresh_entry_points()
    try:
        yield site
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("cdn_test_plugin", None)
        refresh_entry_points()


def test_entry_point_plugin_is_loaded_automatically(
    installed_plugin_dist: pathlib.Path, mode: Mode, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(URL).mock(return_value=httpx.Response(200, json={}))
    client = mode.client(load_entry_points=True)
    mode.run(client.invoke, "GET", "/vmp/images")
    assert route.calls.last.request.headers["x-from-entry-point"] == "1"
    import cdn_test_plugin  # type: ignore[import-not-found]

    assert cdn_test_plugin.SEEN == [("GET /vmp/images", "success")]
    assert "epdemo" in client.products
    assert "epdemo" in products()
    opted_out = mode.client(load_entry_points=False)
    assert "epdemo" not in opted_out.products


# --- built-in logging and metrics -------------------------------------------------------------


def test_logging_plugin_lines_and_redaction(
    mode: Mode, respx_mock: respx.MockRouter, log_lines: list[str]
) -> None:
    respx_mock.get(url__startswith=URL).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json={"secretish": "body"}, headers={"x-cnc-request-id": "rid-L"}),
        ]
    )
    client = mode.client(headers={"X-Api-Token": "tok-123"})
    mode.run(client.invoke, "GET", "/vmp/images", params={"limit": 1})
    text = "\n".join(log_lines)
    assert "GET /vmp/images GET https://api.cdnetworks.com/vmp/images?limit=1 -> HTTP 200" in text
    assert "attempt 2, request id rid-L" in text
    assert "INFO cdnetworks GET /vmp/images attempt 1 failed (HTTP 503); retrying in" in text
    assert "finished: success after 2 attempt(s)" in text
    assert "'authorization': '[redacted]'" in text
    assert "'x-api-token': '[redacted]'" in text and "tok-123" not in text
    assert "secretish" not in text  # bodies are opt-in


def test_logging_bodies_on_opt_in(
    mode: Mode, respx_mock: respx.MockRouter, log_lines: list[str]
) -> None:
    # Bytes, not json=: httpx before 0.28 writes JSON with spaces (the compatibility job).
    answer = httpx.Response(200, content=b'{"id":"new-image"}', headers=JSON_HEADERS)
    respx_mock.post(URL).mock(return_value=answer)
    client = mode.client(plugins=[LoggingPlugin(log_bodies=True)])
    mode.run(client.invoke, "POST", "/vmp/images", json={"name": "n1"})
    text = "\n".join(log_lines)
    assert 'request body: {"name":"n1"}' in text
    assert 'response body: {"id":"new-image"}' in text
    assert sum("request body" in line for line in log_lines) == 1  # replaced, not doubled


def test_logging_is_quiet_above_debug(
    mode: Mode, respx_mock: respx.MockRouter, log_lines: list[str]
) -> None:
    logging.getLogger("cdnetworks").setLevel(logging.INFO)
    respx_mock.get(URL).mock(return_value=httpx.Response(200, json={}))
    client = mode.client()
    mode.run(client.invoke, "GET", "/vmp/images")
    assert log_lines == []


def test_metrics_collector(mode: Mode, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={}), httpx.Response(404)]
    )
    client = mode.client()
    mode.run(client.invoke, "GET", "/vmp/images")
    with pytest.raises(Exception, match="404"):
        mode.run(client.invoke, "GET", "/vmp/images")
    snap = client.metrics.snapshot()["GET /vmp/images"]
    assert (snap["calls"], snap["successes"], snap["attempts"], snap["retries"]) == (2, 1, 3, 1)
    assert snap["errors"] == {"NotFoundError": 1}
    latency = snap["latency"]
    assert latency["count"] == 2 and 0 <= latency["min"] <= latency["p50"] <= latency["max"]
    client.metrics.reset()
    assert client.metrics.snapshot() == {}


def test_msgspec_models_round_trip_wire_names() -> None:
    assert msgspec.json.encode(PingRequest(target_id="t")) == b'{"targetId":"t"}'


def test_an_observer_cannot_change_the_result(mode: Mode, respx_mock: respx.MockRouter) -> None:
    class Meddler:
        @hookimpl
        def cdnetworks_after_response(self, response: httpx.Response | None) -> None:
            if response is not None:
                response._content = b'{"tampered": true}'

    respx_mock.get(URL).mock(return_value=httpx.Response(200, json={"real": 1}))
    client = mode.client(plugins=[Meddler()])
    assert mode.run(client.invoke, "GET", "/vmp/images").data == {"real": 1}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.query.append(("n", 5)), "query must be a list of"),
        (lambda d: setattr(d, "body", {"a": 1}), "body must be bytes or None, not dict"),
        (lambda d: setattr(d, "method", "G ET"), "method 'G ET' is not an HTTP method"),
        (lambda d: d.headers.__setitem__("X-N", 5), "headers must map str names"),
    ],
)
def test_a_malformed_draft_is_refused_before_sending(
    mode: Mode, respx_mock: respx.MockRouter, change: Any, match: str
) -> None:
    class Breaks:
        @hookimpl
        def cdnetworks_prepare_request(self, request: RequestDraft) -> None:
            change(request)

    rec = Recorder()
    client = mode.client(plugins=[rec, Breaks()])
    with pytest.raises(Exception, match=match) as info:
        mode.run(client.invoke, "GET", "/vmp/images")
    assert type(info.value).__name__ == "ValidationError"
    assert not respx_mock.calls
    assert rec.events[-1][1]["outcome"] == "error"  # call_finished still fired


def test_a_failing_product_plugin_is_named() -> None:
    class Bad:
        name = "half-installed-product"

        @hookimpl
        def cdnetworks_register_products(self, register: Any) -> None:
            raise RuntimeError("half-installed")

    with pytest.raises(
        ConfigurationError,
        match="plugin 'half-installed-product' raised in cdnetworks_register_products: Runtime",
    ):
        Client(access_key="A", secret_key="B", load_entry_points=False, plugins=[Bad()])


# --- observer hooks: dispatched in pluggy's order, through pluggy when it matters -------------


class Seen:
    """An observer that notes, in a shared list, that it saw ``call_finished``."""

    def __init__(self, name: str, seen: list[str], **marks: Any) -> None:
        self.name = name
        self.seen = seen

        def cdnetworks_call_finished(outcome: str) -> None:
            seen.append(f"{name}:{outcome}")

        self.cdnetworks_call_finished = hookimpl(**marks)(cdnetworks_call_finished)


def test_observers_run_in_pluggys_order(mode: Mode, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).mock(return_value=httpx.Response(200, json={"ok": 1}))
    seen: list[str] = []
    plugins = [
        Seen("first", seen),
        Seen("last", seen, trylast=True),
        Seen("second", seen),
        Seen("early", seen, tryfirst=True),
    ]
    client = mode.client(plugins=plugins)
    mode.run(client.invoke, "GET", "/vmp/images")
    # pluggy: tryfirst first, then the later-registered before the earlier, trylast last
    assert seen == ["early:success", "second:success", "first:success", "last:success"]
    # Through pluggy's own dispatch (a monitor forces it), the same order.
    undo = client.plugin_manager.add_hookcall_monitoring(lambda *a: None, lambda *a: None)
    seen.clear()
    mode.run(client.invoke, "GET", "/vmp/images")
    undo()
    assert seen == ["early:success", "second:success", "first:success", "last:success"]


def test_a_wrapper_and_a_monitor_still_see_every_observer_call(
    mode: Mode, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(URL).mock(return_value=httpx.Response(200, json={"ok": 1}))
    seen: list[str] = []

    class Wrapping:
        name = "wrapping"

        @hookimpl(wrapper=True)
        def cdnetworks_call_finished(self) -> Iterator[None]:
            seen.append("wrapper:before")
            yield
            seen.append("wrapper:after")

    client = mode.client(plugins=[Seen("plain", seen)])
    mode.run(client.invoke, "GET", "/vmp/images")
    assert seen == ["plain:success"]
    client.plugin_manager.register(Wrapping(), name="wrapping")  # registered later: taken up
    mode.run(client.invoke, "GET", "/vmp/images")
    assert seen[1:] == ["wrapper:before", "plain:success", "wrapper:after"]
    client.plugin_manager.unregister(name="wrapping")

    monitored: list[str] = []
    undo = client.plugin_manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: monitored.append(name), lambda *args: None
    )
    mode.run(client.invoke, "GET", "/vmp/images")
    assert "cdnetworks_call_finished" in monitored and "cdnetworks_after_response" in monitored
    undo()
    monitored.clear()
    mode.run(client.invoke, "GET", "/vmp/images")
    assert monitored == [] and seen[-1] == "plain:success"
