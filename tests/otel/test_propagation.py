"""Trace context propagation (off by default, on with one option), the emulator still verifying
every signature with the injected headers (signed or not), and the secret key in no span,
event or metric; then the way users set it up: installed, with a global tracer provider."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from cdnetworks.core import hookimpl
from cdnetworks.core.emulator import Emulator, load_services
from tests.conftest import ACCESS_KEY, CANARY_SECRET, Mode

from .conftest import Telemetry


class Sent:
    """The requests as signed and sent (``after_response`` sees the final request)."""

    name = "sent"

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    @hookimpl
    def cdnetworks_after_response(self, request: httpx.Request) -> None:
        self.requests.append(request)


#: Sent in queries and bodies, which the SDK may log but spans never record.
PAYLOAD_MARKER = "payload-MARKER-3c1d"


def emulator() -> Emulator:
    (service,) = load_services(["imagemanage"])
    quick = type(service)(build_seconds=0.05)  # type: ignore[call-arg]
    return Emulator(access_key=ACCESS_KEY, secret_key=CANARY_SECRET, services=[quick])


def images_over(mode: Mode, emu: Emulator, **settings: Any) -> Any:
    from cdnetworks.imagemanage import AsyncImageManageClient, ImageManageClient

    transport = emu.async_transport() if mode.is_async else emu.transport()
    core = mode.client(**{**emu.client_kwargs(), **settings}, transport=transport)
    return (AsyncImageManageClient if mode.is_async else ImageManageClient)(client=core)


def traceparent_of(span: Any) -> str:
    ctx = span.context
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def test_no_trace_context_is_sent_by_default(mode: Mode, telemetry: Telemetry) -> None:
    sent = Sent()
    images = images_over(mode, emulator(), plugins=[sent, telemetry.plugin()])
    mode.run(images.vmp_query_image)
    assert "traceparent" not in sent.requests[0].headers
    assert len(telemetry.spans()) == 1


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_propagation_injects_the_call_span_and_the_emulator_verifies_the_signature(
    mode: Mode, telemetry: Telemetry, signed: bool
) -> None:
    sent = Sent()
    emu = emulator()
    images = images_over(
        mode,
        emu,
        plugins=[sent, telemetry.plugin(propagate=True)],
        signed_headers=["traceparent"] if signed else [],
    )
    created = mode.run(
        images.vmp_create_image,
        name="web",
        image_src_url="https://files.example.com/web.qcow2",
        ostype="linux",
    )
    mode.run(images.vmp_query_image, ids=[created.id])

    create_span, query_span = telemetry.spans()
    assert [r.headers["traceparent"] for r in sent.requests] == [
        traceparent_of(create_span),
        traceparent_of(query_span),
    ]
    signed_headers = sent.requests[0].headers["authorization"].split("SignedHeaders=")[1]
    assert ("traceparent" in signed_headers.split(",")[0].split(";")) is signed
    # The emulator checked each signature over what was sent, and both calls succeeded.
    assert [e.status for e in emu.exchanges] == [200, 200]


def test_each_attempt_carries_the_same_call_span(mode: Mode, telemetry: Telemetry) -> None:
    from cdnetworks.core.emulator import ErrorBurst, FaultRule

    sent = Sent()
    emu = Emulator(
        access_key=ACCESS_KEY,
        secret_key=CANARY_SECRET,
        services=load_services(["imagemanage"]),
        faults=[FaultRule(ErrorBurst(503), calls=[1])],
    )
    images = images_over(
        mode,
        emu,
        plugins=[sent, telemetry.plugin(propagate=True)],
        signed_headers=["traceparent"],
    )
    mode.run(images.vmp_query_image)
    (span,) = telemetry.spans()
    assert [r.headers["traceparent"] for r in sent.requests] == [traceparent_of(span)] * 2
    assert [e.name for e in span.events] == ["retry"]
    assert [e.status for e in emu.exchanges] == [503, 200]


def test_over_a_loopback_server_with_signature_checks(telemetry: Telemetry) -> None:
    from cdnetworks.imagemanage import ImageManageClient

    sent = Sent()
    with (
        emulator().serve() as server,
        ImageManageClient(
            **server.client_kwargs(),
            load_entry_points=False,
            plugins=[sent, telemetry.plugin(propagate=True)],
            signed_headers=["traceparent"],
        ) as images,
    ):
        images.vmp_query_image()
    (span,) = telemetry.spans()
    assert sent.requests[0].headers["traceparent"] == traceparent_of(span)
    assert dict(span.attributes or {})["http.response.status_code"] == 200
    assert dict(span.attributes or {})["server.address"] == "127.0.0.1"


def test_the_secret_key_is_in_no_span_event_or_metric(mode: Mode, telemetry: Telemetry) -> None:
    from cdnetworks.core import AuthenticationError

    emu = emulator()
    plugin = telemetry.plugin(propagate=True)
    images = images_over(mode, emu, plugins=[plugin], signed_headers=["traceparent"])
    created = mode.run(
        images.vmp_create_image,
        name="web",
        image_src_url=f"https://files.example.com/web.qcow2?token={PAYLOAD_MARKER}",
        ostype="linux",
    )
    mode.run(images.wait_for_image, created.id, poll_interval=0.02, timeout=30)
    list_all = images.iter_images(name=PAYLOAD_MARKER)
    if mode.is_async:

        async def drain() -> None:
            async for _ in list_all:
                pass

        mode.run(drain)
    else:
        list(list_all)
    # A failure too: the wrong secret for this access key (the emulator says 401).
    wrong = images_over(mode, emu, plugins=[plugin], secret_key=CANARY_SECRET + "-wrong")
    with pytest.raises(AuthenticationError):
        mode.run(wrong.vmp_query_image, name=PAYLOAD_MARKER)

    spans = telemetry.spans()
    assert len(spans) >= 5
    exported = json.dumps([json.loads(s.to_json()) for s in spans])
    data = telemetry.reader.get_metrics_data()
    assert data is not None
    exported += data.to_json()
    assert CANARY_SECRET not in exported
    assert "-wrong" not in exported
    assert PAYLOAD_MARKER not in exported  # no query (nor a body) of any request is recorded


SCRIPT = """
import json
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from cdnetworks.core.emulator import Emulator, load_services
from cdnetworks.core.emulator import ErrorBurst, FaultRule
from cdnetworks.imagemanage import ImageManageClient

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)

emu = Emulator(access_key="AKOTEL", secret_key="sk-CANARY-otel-subprocess",
               services=load_services(["imagemanage"]),
               faults=[FaultRule(ErrorBurst(503), calls=[1])])
with emu.serve() as server, ImageManageClient(**server.client_kwargs()) as images:
    images.vmp_query_image()
print(json.dumps([json.loads(s.to_json()) for s in exporter.get_finished_spans()]))
"""


def test_installed_it_traces_every_client_into_the_global_provider() -> None:
    """As a user runs it: the entry point loads the plugin, the global provider records."""
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    (span,) = json.loads(done.stdout.strip().splitlines()[-1])
    assert span["name"] == "imagemanage/VMPQueryImage"
    assert span["kind"] == "SpanKind.CLIENT"
    assert span["attributes"]["cdnetworks.attempts"] == 2
    assert [e["name"] for e in span["events"]] == ["retry"]
    assert "sk-CANARY-otel-subprocess" not in done.stdout + done.stderr
