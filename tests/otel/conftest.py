"""An OpenTelemetry SDK of the test's own (in-memory exporter and metric reader), and the plugin
configured with it: nothing global is set, so other tests' clients record nothing here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cdnetworks.otel import OpenTelemetryPlugin


@dataclass
class Telemetry:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    spans_exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    plugins: list[OpenTelemetryPlugin] = field(default_factory=list)

    def plugin(self, **options: Any) -> OpenTelemetryPlugin:
        plugin = OpenTelemetryPlugin(
            tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, **options
        )
        self.plugins.append(plugin)
        return plugin

    def spans(self) -> list[ReadableSpan]:
        return list(self.spans_exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        (found,) = [s for s in self.spans() if s.name == name]
        return found

    def metrics(self) -> dict[str, list[Any]]:
        """Metric name -> its data points (the reader's current collection)."""
        data = self.reader.get_metrics_data()
        out: dict[str, list[Any]] = {}
        if data is None:
            return out
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    out.setdefault(metric.name, []).extend(metric.data.data_points)
                    out.setdefault(f"{metric.name}:unit", []).append(metric.unit)
        return out


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield Telemetry(tracer_provider, meter_provider, exporter, reader)
    tracer_provider.shutdown()
    meter_provider.shutdown()
