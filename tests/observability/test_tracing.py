"""Traces, errors and logs: one span per GraphQL operation (never per field) with its SQL inside it, a job's span
in the trace that enqueued it, Sentry without its per-field Strawberry integration, and JSON log lines that carry
the request id."""
import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from graph.transport import request_ids
from project.logs import JsonFormatter
from project.observability import tracing

PAGE = """query CatalogPage { products(first: 10) { edges { node { name slug variants { sku name price { amount } }
  category { name } } } } }"""


@pytest.fixture
def spans():
    """Tracing on, exported to memory in this process, as OTEL_EXPORTER_OTLP_ENDPOINT would turn it on; off after."""
    exporter = InMemorySpanExporter()
    tracing.start(exporter=exporter)
    for connection in connections.all(initialized_only=True):
        tracing._trace_sql(None, connection)

    def finished():
        tracing._provider.force_flush()
        return exporter.get_finished_spans()

    yield finished
    for connection in connections.all(initialized_only=True):
        if tracing._sql_span in connection.execute_wrappers:
            connection.execute_wrappers.remove(tracing._sql_span)
    RedisInstrumentor().uninstrument()
    connection_created.disconnect(dispatch_uid="project.observability.tracing.sql")
    tracing._tracer = None


def test_one_span_per_operation_with_its_sql_inside_and_none_per_field(gql, make_product, spans, settings):
    settings.METRICS_OPERATION_NAMES = ["CatalogPage"]
    for name in ("Shirt", "Mug", "Lamp"):
        make_product(name)
    answer = gql(PAGE)
    assert len(answer.ok()["products"]["edges"]) == 3
    finished = spans()
    (operation,) = [span for span in finished if span.name.startswith("query ")]
    assert operation.name == "query CatalogPage"
    assert operation.attributes["graphql.operation.type"] == "query"
    inside = [span for span in finished if span.context.trace_id == operation.context.trace_id and span != operation]
    assert all(span.parent.span_id == operation.context.span_id for span in inside)
    sql = [span for span in inside if span.attributes.get("db.system") in ("sqlite", "postgresql")]
    assert len([span for span in sql if span.name not in ("SAVEPOINT", "RELEASE")]) == answer.queries
    assert not any("Shirt" in span.attributes["db.statement"] for span in sql)  # placeholders, never values
    # Nothing else but the cache's Redis commands, if any: 3 products x 7 fields resolved, no span for any.
    assert all(span.attributes.get("db.system") in ("sqlite", "postgresql", "redis") for span in inside)


def test_an_unregistered_name_is_traced_as_other_and_errors_mark_the_span(gql, spans):
    assert gql("query Chosen_By_Anyone { noSuchField }").codes == ["GRAPHQL_VALIDATION_FAILED"]
    (operation,) = [span for span in spans() if span.name.endswith(" other")]
    assert operation.attributes["graphql.operation.name"] == "Chosen_By_Anyone"
    assert list(operation.attributes["graphql.error.codes"]) == ["GRAPHQL_VALIDATION_FAILED"]


def test_a_job_is_traced_in_the_trace_that_enqueued_it(jobs, spans):
    from tests.fake_stripe import event, signed
    from django.test import Client

    tracer = tracing.tracer()
    body, signature = signed(event("customer.created", {"id": "cus_3"}))
    with tracer.start_as_current_span("request") as request:
        assert Client().post("/webhooks/stripe/", body, content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=signature).status_code == 200
    jobs.run()
    (job,) = [span for span in spans() if span.name == "job process_payment_event"]
    assert job.context.trace_id == request.context.trace_id and job.attributes["job.outcome"] == "succeeded"


def test_nothing_of_opentelemetry_or_sentry_is_started_without_their_settings():
    assert not settings.OTEL_EXPORTER_OTLP_ENDPOINT and not settings.SENTRY_DSN
    script = ("import django, sys; django.setup(); from project.observability import tracing; "
              "import sentry_sdk; print(tracing.enabled(), 'opentelemetry.sdk.trace' in sys.modules, "
              "sentry_sdk.get_client().is_active())")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "SENTRY_"))}
    output = subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, capture_output=True, text=True,
                            env={**env, "DJANGO_SETTINGS_MODULE": "project.settings"}, timeout=60, check=True)
    assert output.stdout.split() == ["False", "False", "False"]


def test_sentry_starts_with_its_dsn_and_without_the_strawberry_integration():
    """In a process of its own, as a deployed one starts (Sentry patches Django for good); the DSN names a local
    port where nothing listens, and nothing is sent, since nothing is reported."""
    script = """
import json, django
django.setup()
import sentry_sdk
from sentry_sdk.integrations.strawberry import StrawberryIntegration
client = sentry_sdk.get_client()
print(json.dumps({"active": client.is_active(), "integrations": sorted(client.integrations),
    "disabled": [type(i).__name__ for i in client.options["disabled_integrations"]],
    "pii": client.options["send_default_pii"], "traces": client.options["traces_sample_rate"],
    "patched": StrawberryIntegration.identifier in sentry_sdk.integrations._installed_integrations}))
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings", "SENTRY_DSN": "http://public@127.0.0.1:9/1"}
    output = subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, capture_output=True, text=True,
                            env=env, timeout=60, check=True)
    report = json.loads(output.stdout.strip().splitlines()[-1])
    assert report["active"] and "django" in report["integrations"] and "dramatiq" in report["integrations"]
    assert "strawberry" not in report["integrations"] and report["disabled"] == ["StrawberryIntegration"]
    assert report["patched"] is False and report["pii"] is False and report["traces"] == 0


def test_json_log_lines_carry_the_request_id_and_the_stack():
    formatter = JsonFormatter()
    with request_ids.assigned("abc123") as request_id:
        try:
            raise ValueError("boom")
        except ValueError:
            record = logging.getLogger("graph.transport.masking").makeRecord(
                "graph.transport.masking", logging.ERROR, __file__, 1, "Unexpected error: %s", ("boom",),
                sys.exc_info())
        line = json.loads(formatter.format(record))
    assert request_id == "abc123"
    assert {key: line[key] for key in ("level", "logger", "message", "request_id")} == {
        "level": "ERROR", "logger": "graph.transport.masking", "message": "Unexpected error: boom",
        "request_id": "abc123"}
    assert "ValueError: boom" in line["exception"] and line["time"].endswith("+00:00")
    outside = json.loads(formatter.format(logging.makeLogRecord({"msg": "no request", "levelname": "INFO"})))
    assert "request_id" not in outside


def test_json_is_the_default_log_format_with_debug_off():
    script = "import django; django.setup(); from django.conf import settings; print(settings.LOG_FORMAT)"
    for debug, expected in (("0", "json"), ("1", "text")):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": debug, "SECRET_KEY": "x"}
        env.pop("LOG_FORMAT", None)
        output = subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, capture_output=True,
                                text=True, env=env, timeout=60, check=True)
        assert output.stdout.strip() == expected
