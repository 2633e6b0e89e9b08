"""OpenTelemetry tracing of the consultation pipeline, off by default (``CARREFOUR_TRACING``).

When on, a request's W3C ``traceparent`` is accepted (:class:`TracingMiddleware` opens the
server span in the caller's trace), each step of the pipeline is a span of its own (validate,
finality, authorization, routing, one per source asked, merge, journal), the trace context is
sent on to the sources in ``traceparent``, and the journal entry keeps the trace id beside the
ticket. Spans go to an OTLP/HTTP collector (``CARREFOUR_OTLP_ENDPOINT``) or to standard output
(``console``). Off, :meth:`Tracing.span` is a shared no-op context: nothing else is done.

Each hub has its own tracer provider (no process-wide global), so that a test can give one an
in-memory exporter.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, MutableMapping
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Receive, Scope, Send

from carrefour.config import ObservabilitySettings
from carrefour.observability.logs import mask_niss

_PROPAGATOR = TraceContextTextMapPropagator()
CLIENT = trace.SpanKind.CLIENT
_NOTHING = contextlib.nullcontext()


class Tracing:
    """The hub's tracer, or nothing at all when tracing is off."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer("carrefour") if provider else None

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    def span(
        self, name: str, *, kind: trace.SpanKind = trace.SpanKind.INTERNAL, **attributes: Any
    ) -> contextlib.AbstractContextManager[Any]:
        if self._tracer is None:
            return _NOTHING
        return self._tracer.start_as_current_span(name, kind=kind, attributes=attributes)

    @contextlib.contextmanager
    def server_span(self, name: str, headers: MutableMapping[str, str]) -> Iterator[None]:
        """A span in the trace the caller's ``traceparent`` names (a new trace without one)."""
        if self._tracer is None:
            yield
            return
        context = _PROPAGATOR.extract(carrier=headers)
        with self._tracer.start_as_current_span(name, context=context,
                                                kind=trace.SpanKind.SERVER):
            yield

    def inject(self, headers: dict[str, str]) -> None:
        """Add the current trace context (``traceparent``) to outgoing headers."""
        if self._tracer is not None:
            _PROPAGATOR.inject(headers)

    def close(self) -> None:
        if self._provider is not None:
            self._provider.shutdown()


def current_trace_id() -> str | None:
    """The trace id of the span open in this context (32 hex digits), else None: the
    journal keeps it beside the ticket. Without tracing no span is ever valid."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def build_tracing(
    settings: ObservabilitySettings, *, exporter: SpanExporter | None = None
) -> Tracing:
    """Off unless ``settings.tracing`` says ``otlp`` or ``console``, or an exporter is given
    (tests: an in-memory exporter, written synchronously)."""
    processor: SpanProcessor
    if exporter is not None:
        processor = SimpleSpanProcessor(exporter)
    elif settings.tracing == "otlp":
        processor = BatchSpanProcessor(_otlp(settings.otlp_endpoint))
    elif settings.tracing == "console":
        processor = BatchSpanProcessor(ConsoleSpanExporter())
    else:
        return Tracing()
    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}))
    provider.add_span_processor(processor)
    return Tracing(provider)


def _otlp(endpoint: str | None) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if endpoint is None:  # the SDK's own OTEL_EXPORTER_OTLP_* variables, else localhost:4318
        return OTLPSpanExporter()
    return OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")


class TracingMiddleware:
    """Opens the server span of each HTTP request, in the caller's trace (installed only when
    tracing is on)."""

    def __init__(self, app: ASGIApp, *, tracing: Tracing) -> None:
        self.app = app
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        name = f"{scope['method']} {mask_niss(scope['path'])}"  # no NISS in a span name
        with self.tracing.server_span(name, headers):
            await self.app(scope, receive, send)
