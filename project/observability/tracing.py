"""OpenTelemetry tracing, exported by OTLP over HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise nothing
of OpenTelemetry is imported and every hook here is a no-op.

What is traced, and what is not:
- an HTTP request: a span from the ASGI middleware (project/asgi.py), health checks and /metrics left out;
- a GraphQL operation: one span, "query CatalogPage" (graph.transport.observed), never one per field;
- each SQL statement (a Django execute wrapper: the statement with its placeholders, never its parameters);
- each Redis command (the cache, the channel layer, the broker), by OpenTelemetry's redis instrumentation;
- each job: a span in the worker, child of the span that enqueued it (project.observability.jobs).
The exporter sends batches from a background thread; the standard OTEL_* variables configure it (headers,
timeout, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER). bench/catalog.py --tracing measures the cost.
"""
import logging

from django.conf import settings
from django.db.backends.signals import connection_created

logger = logging.getLogger("project.observability.tracing")
_tracer = None
_provider = None
EXCLUDED_URLS = "healthz,readyz,metrics"


def start(exporter=None) -> None:
    """Once per process, when the endpoint is set (or an exporter is given: tests and the bench pass their own)."""
    global _tracer, _provider
    if _tracer is not None or (exporter is None and not settings.OTEL_EXPORTER_OTLP_ENDPOINT):
        return
    from opentelemetry import trace
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        exporter = OTLPSpanExporter()  # reads OTEL_EXPORTER_OTLP_ENDPOINT and the other OTEL_* variables
    provider = _provider = TracerProvider(resource=Resource.create({"service.name": settings.OTEL_SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # once per process: the global one for other instrumentation
    RedisInstrumentor().instrument(tracer_provider=provider)
    connection_created.connect(_trace_sql, dispatch_uid="project.observability.tracing.sql")
    _tracer = provider.get_tracer("commerce")


def enabled() -> bool:
    return _tracer is not None


def traced_http(app):
    """The ASGI application with a span per HTTP request, when tracing is on."""
    if _tracer is None:
        return app
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    # One span per request: not one more per ASGI message received and sent, as the middleware makes by default.
    return OpenTelemetryMiddleware(app, excluded_urls=EXCLUDED_URLS, exclude_spans=["receive", "send"])


def operation_span():
    """A started span for a GraphQL operation, current until `finish_operation` (or `end`) ends it; None when
    tracing is off."""
    if _tracer is None:
        return None
    from opentelemetry import context, trace
    span = _tracer.start_span("graphql.operation", kind=trace.SpanKind.INTERNAL)
    span._commerce_token = context.attach(trace.set_span_in_context(span))
    return span


def finish_operation(span, kind: str, operation: str, requested: str | None, codes: list[str]) -> None:
    from opentelemetry.trace import Status, StatusCode
    span.update_name(f"{kind} {operation}")
    span.set_attribute("graphql.operation.type", kind)
    span.set_attribute("graphql.operation.name", (requested or "")[:100])
    if codes:
        span.set_attribute("graphql.error.codes", sorted(set(codes)))
        if any(code == "INTERNAL_SERVER_ERROR" for code in codes):
            span.set_status(Status(StatusCode.ERROR))
    end(span)


def end(span) -> None:
    from opentelemetry import context
    try:
        context.detach(span._commerce_token)
    except Exception:  # ended in another context than it began (a stream closed from elsewhere): harmless
        pass
    span.end()


def _trace_sql(sender, connection, **kwargs) -> None:
    if _sql_span not in connection.execute_wrappers:
        connection.execute_wrappers.append(_sql_span)


def _sql_span(execute, sql, params, many, context):
    if _tracer is None:
        return execute(sql, params, many, context)
    from opentelemetry import trace
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "SQL"
    with _tracer.start_as_current_span(verb, kind=trace.SpanKind.CLIENT) as span:
        span.set_attribute("db.system", context["connection"].vendor)
        span.set_attribute("db.statement", sql[:2000])
        return execute(sql, params, many, context)


def tracer():
    """The tracer, or None when tracing is off."""
    return _tracer
