"""Dramatiq middleware: every job run counted and timed by actor and outcome, and traced as a child of the span
that enqueued it (the trace context travels in the message's options, as W3C traceparent text).

Listed before dramatiq's Retries in DRAMATIQ_BROKER's middleware (project/settings.py): `after_` hooks run in
reverse order, so by the time this one sees a failed run, Retries has decided whether it is retried or failed.
"""
import threading
import time

from dramatiq.middleware import Middleware

from project.observability import metrics, tracing

TRACE_OPTION = "trace_context"


class JobMetrics(Middleware):
    def __init__(self):
        self._running = threading.local()

    def before_enqueue(self, broker, message, delay):
        tracer = tracing.tracer()
        if tracer is not None and TRACE_OPTION not in message.options:
            from opentelemetry.propagate import inject
            carrier = {}
            inject(carrier)
            if carrier:
                message.options[TRACE_OPTION] = carrier

    def before_process_message(self, broker, message):
        span = None
        tracer = tracing.tracer()
        if tracer is not None:
            from opentelemetry import context, trace
            from opentelemetry.propagate import extract
            parent = extract(message.options.get(TRACE_OPTION) or {})
            span = tracer.start_span(f"job {message.actor_name}", context=parent, kind=trace.SpanKind.CONSUMER)
            span.set_attribute("messaging.message.id", message.message_id)
            span.set_attribute("job.retries", message.options.get("retries", 0))
            span._commerce_token = context.attach(trace.set_span_in_context(span))
        self._running.__dict__[message.message_id] = (time.perf_counter(), span)

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is None:
            outcome = "succeeded"
        else:
            outcome = "failed" if message.failed else "retried"
        self._finish(message, outcome, exception)

    def after_skip_message(self, broker, message):
        self._finish(message, "skipped", None)

    def _finish(self, message, outcome: str, exception) -> None:
        started, span = self._running.__dict__.pop(message.message_id, (None, None))
        metrics.JOBS.labels(message.actor_name, outcome).inc()
        if started is not None:
            metrics.JOB_DURATION.labels(message.actor_name).observe(time.perf_counter() - started)
        if span is not None:
            from opentelemetry.trace import Status, StatusCode
            span.set_attribute("job.outcome", outcome)
            if exception is not None:
                span.record_exception(exception)
                span.set_status(Status(StatusCode.ERROR))
            tracing.end(span)
