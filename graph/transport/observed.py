"""Each GraphQL operation measured, and traced as one span: the operation, never its fields.

Strawberry wraps every field of every object in any extension that has a `resolve` hook, which was most of the
catalog page's time (graph.schema.Optimizer); this one has only `on_operation` and `on_execute`, which run once per
operation. So tracing and metrics cost the same whether a page has ten fields or ten thousand. (Sentry's Strawberry
integration and OpenTelemetry's Strawberry extension both hook every field: neither is used, project.observability.)

The operation's label is its name only when the name is registered (the persisted-query manifest's, or
METRICS_OPERATION_NAMES); any other name a client chose is "other", so a client cannot make series without end.
"""
import logging
import time
from functools import lru_cache

from django.conf import settings
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from graph.transport import persisted
from project.observability import metrics, tracing

OTHER = "other"
logger = logging.getLogger("graph.transport.observed")


class Observed(SchemaExtension):
    def on_operation(self):
        context = self.execution_context
        started = time.perf_counter()
        span = tracing.operation_span()
        failed = None
        try:
            yield
        except BaseException as raised:  # Strawberry lets some refusals out as exceptions (a mutation over GET)
            failed = "METHOD_NOT_ALLOWED" if isinstance(raised, InvalidOperationTypeError) else "INTERNAL_SERVER_ERROR"
            raise
        finally:
            result = context.result
            errors = (result.errors if result is not None else None) or context.pre_execution_errors or []
            try:
                if not _probe(errors):  # a websocket's query, answered by a second run (graph.transport.streaming)
                    self._record(context, errors, failed, time.perf_counter() - started, span)
                    span = None
            except Exception:  # measuring must never fail the operation it measures
                logger.warning("Could not record an operation's metrics", exc_info=True)
            if span is not None:
                tracing.end(span)

    def on_execute(self):
        if _kind(self.execution_context) == OperationType.SUBSCRIPTION.value:
            with metrics.subscription_running():
                yield
        else:
            yield

    @staticmethod
    def _record(context, errors, failed: str | None, elapsed: float, span) -> None:
        operation = label(context.operation_name)
        kind = _kind(context)
        codes = [(error.extensions or {}).get("code") or "INTERNAL_SERVER_ERROR" for error in errors]
        if failed:
            codes.append(failed)
        metrics.OPERATIONS.labels(operation, kind, "error" if codes else "ok").inc()
        if kind != "subscription":  # a subscription lasts as long as its client listens
            metrics.OPERATION_DURATION.labels(operation, kind).observe(elapsed)
        for code in set(codes):
            metrics.OPERATION_ERRORS.labels(operation, code if code.isupper() else "OTHER").inc()
        if span is not None:
            tracing.finish_operation(span, kind, operation, context.operation_name, codes)


def label(name: str | None) -> str:
    if not name:
        return "anonymous"
    return name if name in _names(settings.GRAPHQL_PERSISTED_QUERIES_MANIFEST,
                                  tuple(settings.METRICS_OPERATION_NAMES)) else OTHER


@lru_cache(maxsize=4)
def _names(manifest: str, configured: tuple[str, ...]) -> frozenset[str]:
    return persisted.manifest_names() | frozenset(configured)


def _kind(context) -> str:
    """query, mutation or subscription; "unknown" for a document that did not parse or names no operation."""
    if context.graphql_document is None:
        return "unknown"
    try:
        return context.operation_type.value
    except Exception:  # an operationName the document does not have
        return "unknown"


def _probe(errors) -> bool:
    return any(isinstance(getattr(error, "original_error", None), InvalidOperationTypeError) for error in errors)
