"""The OpenTelemetry plugin: a CLIENT span per call, INTERNAL spans for operations, metrics.

It implements the SDK's wrapping hooks: ``cdnetworks_wrap_call`` starts the call's span and
makes it current until the call ends (so each attempt's ``cdnetworks_prepare_request``, this
plugin's propagation included, runs inside it), ``cdnetworks_wrap_operation`` starts a span for
a waiter, walk, job or batch without making it current (a walk hands control back to the
caller between pages) and parents its calls and inner operations explicitly.

What it records comes from the SDK's hook payloads, which never carry the secret key; request
headers and bodies are never read, and URLs are recorded without their query.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from cdnetworks.core import CallInfo, ConfigurationError, Operation, RequestDraft, hookimpl

from . import conventions as c
from ._version import __version__

_SCOPE = "cdnetworks.otel"


class OpenTelemetryPlugin:
    """Traces and metrics of every call and operation of the clients it is registered on.

    ``tracer_provider`` and ``meter_provider`` default to the global ones (set by the
    application with ``trace.set_tracer_provider``; until then nothing is recorded).
    ``propagate=True`` injects the trace context into each attempt's headers with
    ``propagator`` (default: the global one, W3C ``traceparent`` unless configured), before
    the request is signed; it is off by default because the API does not read it.
    """

    name = "cdnetworks.otel"

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        propagate: bool = False,
        propagator: TextMapPropagator | None = None,
    ) -> None:
        if not isinstance(propagate, bool):
            raise ConfigurationError(f"propagate must be True or False, not {propagate!r}")
        #: Fixed when the plugin is made.
        self.propagate = propagate
        self._propagator = propagator
        self._tracer_provider = tracer_provider
        self._meter_provider = meter_provider
        self._current: _Instruments | None = None
        # Spans of the calls and operations in flight, by their ids (unique per process):
        # the other hooks of a call find its span here, whatever is current.
        self._call_spans: dict[str, tuple[Span, CallInfo, _Instruments]] = {}
        self._operation_spans: dict[str, Span] = {}
        if propagate:
            # Implemented only when propagating: a call no plugin prepares keeps the SDK's
            # fast path (its request is not validated and its URL not parsed a second time).
            def cdnetworks_prepare_request(request: RequestDraft, call_id: str) -> None:
                self._inject(request, call_id)

            self.cdnetworks_prepare_request = hookimpl(cdnetworks_prepare_request)

    def _instruments(self) -> _Instruments:
        """The tracer and instruments of the providers in force: the global ones may be set
        (or, in tests, reset) after this plugin was made."""
        tracer_provider = self._tracer_provider or trace.get_tracer_provider()
        meter_provider = self._meter_provider or metrics.get_meter_provider()
        current = self._current
        if (
            current is None
            or current.tracer_provider is not tracer_provider
            or current.meter_provider is not meter_provider
        ):
            current = self._current = _Instruments(tracer_provider, meter_provider)
        return current

    # -- calls -------------------------------------------------------------------------------

    @hookimpl(wrapper=True)
    def cdnetworks_wrap_call(self, call: CallInfo) -> Generator[None, Any, Any]:
        parent = self._parent(call.operation)
        instruments = self._instruments()
        span = instruments.tracer.start_span(
            _span_name(call.product, call.action),
            context=parent,
            kind=SpanKind.CLIENT,
            attributes=_call_attributes(call),
        )
        self._call_spans[call.call_id] = (span, call, instruments)
        token = otel_context.attach(trace.set_span_in_context(span))
        error: BaseException | None = None
        try:
            return (yield)
        except BaseException as exc:
            error = exc
            raise
        finally:
            otel_context.detach(token)
            self._call_spans.pop(call.call_id, None)
            self._end_call(span, call, error, instruments)

    def _end_call(
        self, span: Span, call: CallInfo, error: BaseException | None, instruments: _Instruments
    ) -> None:
        span.set_attribute(c.ATTEMPTS, call.attempts)
        if call.status_code is not None:
            span.set_attribute(c.HTTP_RESPONSE_STATUS_CODE, call.status_code)
        if call.request_id:
            span.set_attribute(c.REQUEST_ID, call.request_id)
        _end(span, call.outcome or ("success" if error is None else "error"), error)
        labels = _metric_attributes(call, error)
        if call.duration is not None:
            instruments.duration.record(call.duration, labels)
        instruments.calls.add(1, labels)

    def _inject(self, request: RequestDraft, call_id: str) -> None:
        found = self._call_spans.get(call_id)
        if found is None:
            return
        span = found[0]
        # Before signing: a header named in signed_headers is covered by the signature.
        ctx = trace.set_span_in_context(span)
        if self._propagator is not None:
            self._propagator.inject(request.headers, context=ctx)
        else:
            propagate.inject(request.headers, context=ctx)

    @hookimpl
    def cdnetworks_on_retry(self, attempt: int, call_id: str, delay: float, reason: str) -> None:
        found = self._call_spans.get(call_id)
        if found is None:  # registered while the call ran
            return
        span, call, instruments = found
        span.add_event(
            c.RETRY_EVENT,
            {c.RETRY_ATTEMPT: attempt, c.RETRY_DELAY: delay, c.RETRY_REASON: reason},
        )
        instruments.retries.add(1, _metric_attributes(call, None))

    # -- operations --------------------------------------------------------------------------

    @hookimpl(wrapper=True)
    def cdnetworks_wrap_operation(self, operation: Operation) -> Generator[None, None, None]:
        attributes: dict[str, Any] = {
            c.OPERATION_KIND: operation.kind,
            c.OPERATION_NAME: operation.name,
            c.OPERATION_ID: operation.operation_id,
            **operation.attributes,
        }
        if operation.product:
            attributes[c.RPC_SERVICE] = operation.product
        span = self._instruments().tracer.start_span(
            _span_name(operation.product, operation.name),
            context=self._parent(operation.parent),
            kind=SpanKind.INTERNAL,
            attributes=attributes,
        )
        self._operation_spans[operation.operation_id] = span
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
            raise
        finally:
            self._operation_spans.pop(operation.operation_id, None)
            span.set_attributes(dict(operation.attributes))  # what it learnt while it ran
            _end(span, operation.outcome or ("success" if error is None else "error"), error)

    @hookimpl
    def cdnetworks_operation_event(
        self, operation: Operation, name: str, attributes: Mapping[str, Any]
    ) -> None:
        span = self._operation_spans.get(operation.operation_id)
        if span is not None:
            prefix = f"cdnetworks.{operation.kind}."
            span.add_event(name, {k if "." in k else prefix + k: v for k, v in attributes.items()})

    def _parent(self, operation: Operation | None) -> otel_context.Context | None:
        """The context to start a span in: its operation's span, else what is current."""
        span = None if operation is None else self._operation_spans.get(operation.operation_id)
        return None if span is None else trace.set_span_in_context(span)


class _Instruments:
    """A tracer and the three instruments, made from one pair of providers."""

    def __init__(
        self, tracer_provider: trace.TracerProvider, meter_provider: metrics.MeterProvider
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.tracer = tracer_provider.get_tracer(_SCOPE, __version__, schema_url=c.SCHEMA_URL)
        meter = meter_provider.get_meter(_SCOPE, __version__, schema_url=c.SCHEMA_URL)
        self.duration = meter.create_histogram(
            c.DURATION_METRIC,
            unit="s",
            description="Duration of a CDNetworks API call, from its first attempt to its "
            "last, retries and their waits included.",
            explicit_bucket_boundaries_advisory=list(c.DURATION_BUCKETS),
        )
        self.calls = meter.create_counter(
            c.CALLS_METRIC, unit="{call}", description="CDNetworks API calls made."
        )
        self.retries = meter.create_counter(
            c.RETRIES_METRIC, unit="{retry}", description="Attempts of a call retried."
        )


def _span_name(product: str, name: str) -> str:
    return f"{product}/{name}" if product else name


def _call_attributes(call: CallInfo) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        c.RPC_SYSTEM: c.RPC_SYSTEM_VALUE,
        c.RPC_METHOD: call.action,
        c.SERVER_ADDRESS: call.server_address,
        c.SERVER_PORT: call.server_port,
        c.HTTP_REQUEST_METHOD: call.method,
        c.URL_FULL: call.url,  # the SDK hands it over without its query
        c.CALL_ID: call.call_id,
    }
    if call.product:
        attributes[c.RPC_SERVICE] = call.product
    if call.operation is not None:
        attributes[c.OPERATION_KIND] = call.operation.kind
    return attributes


def _metric_attributes(call: CallInfo, error: BaseException | None) -> dict[str, str]:
    labels = {c.RPC_SYSTEM: c.RPC_SYSTEM_VALUE, c.RPC_METHOD: call.action}
    if call.product:
        labels[c.RPC_SERVICE] = call.product
    if error is not None:
        labels[c.ERROR_TYPE] = type(error).__name__
    return labels


def _end(span: Span, outcome: str, error: BaseException | None) -> None:
    span.set_attribute(c.OUTCOME, outcome)
    if error is not None:
        span.set_attribute(c.ERROR_TYPE, type(error).__name__)
        if isinstance(error, Exception):
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, str(error)))
        else:  # cancelled: the task, or Ctrl-C
            span.set_status(Status(StatusCode.ERROR, "cancelled"))
    span.end()
