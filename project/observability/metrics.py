"""The Prometheus metrics every process records, and the scrape that reads them.

Multi-process: with PROMETHEUS_MULTIPROC_DIR set (before any process starts; empty it at each deploy, as the
process manager starts them), prometheus-client writes each process's values to files there and a scrape of any
web process adds up every process's, workers' included. Without it (embedded mode, one process) values live in
the process. Gauges of live things (open websockets, running subscriptions) are summed over live processes only.

Labels are bounded: a label never holds what a client chose. An operation name is a label only when it is one of
the persisted-query manifest's names or METRICS_OPERATION_NAMES (graph.transport.observed), else "other"; an HTTP
path is reduced to its route group (`route_of`); a webhook's gateway is one this shop runs, else "other".
"""
import time
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("commerce_http_requests", "HTTP requests answered.", ["route", "method", "status"])
HTTP_DURATION = Histogram("commerce_http_request_duration_seconds", "Time to answer an HTTP request, to its last "
                          "byte.", ["route", "method"])
OPERATIONS = Counter("commerce_graphql_operations", "GraphQL operations run (HTTP and websockets); a subscription "
                     "counts once.", ["operation", "type", "outcome"])
OPERATION_DURATION = Histogram("commerce_graphql_operation_duration_seconds", "Time to answer a query or mutation: "
                               "parsing, validation and execution.", ["operation", "type"])
OPERATION_ERRORS = Counter("commerce_graphql_errors", "Errors in GraphQL answers, by their extensions.code.",
                           ["operation", "code"])
RESPONSE_CACHE = Counter("commerce_response_cache_lookups", "Anonymous public queries looked up in the response "
                         "cache (graph.transport.response_cache).", ["outcome"])
WEBSOCKETS_OPEN = Gauge("commerce_websocket_connections", "Websockets open now.", multiprocess_mode="livesum")
WEBSOCKETS = Counter("commerce_websocket_connections_opened", "Websockets accepted.")
SUBSCRIPTIONS_ACTIVE = Gauge("commerce_graphql_subscriptions_active", "Subscriptions running now.",
                             multiprocess_mode="livesum")
JOBS = Counter("commerce_jobs", "Job runs, by how each ended: succeeded, retried (failed, another try queued), "
               "failed (out of retries, or not retried), skipped (too old).", ["actor", "outcome"])
JOB_DURATION = Histogram("commerce_job_duration_seconds", "Time a job's run took.", ["actor"],
                         buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
WEBHOOKS = Counter("commerce_payment_webhooks", "Payment providers' webhooks received, by how they were answered: "
                   "recorded, duplicate, invalid (bad signature), unverified (the provider could not be asked), "
                   "unknown_gateway.", ["gateway", "outcome"])

ROUTES = {"graphql": "graphql", "webhooks": "webhooks", "admin": "admin", "static": "static", "media": "media",
          "orders": "orders", "healthz": "health", "readyz": "health", "metrics": "metrics"}


def route_of(path: str) -> str:
    """The route group of a path (its first segment, among the routes this server has), else "other"."""
    return ROUTES.get(path.lstrip("/").split("/", 1)[0], "other")


@contextmanager
def subscription_running():
    SUBSCRIPTIONS_ACTIVE.inc()
    try:
        yield
    finally:
        SUBSCRIPTIONS_ACTIVE.dec()


class Measured:
    """ASGI: every HTTP request counted and timed, from its start to its answer's last byte; every accepted
    websocket counted while it is open. Outermost, so refusals (413) and static files count too."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            return await self._socket(scope, receive, send)
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), "0"  # 0: the client left before an answer began

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route, method = route_of(scope["path"]), scope["method"] if scope["method"] in METHODS else "OTHER"
            HTTP_REQUESTS.labels(route, method, status).inc()
            HTTP_DURATION.labels(route, method).observe(time.perf_counter() - started)

    async def _socket(self, scope, receive, send):
        accepted = False

        async def sending(message):
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                WEBSOCKETS.inc()
                WEBSOCKETS_OPEN.inc()
            await send(message)

        sending.__wrapped__ = send  # the send it wraps: graph.transport.outbox finds daphne's protocol behind it
        try:
            await self.app(scope, receive, sending)
        finally:
            if accepted:
                WEBSOCKETS_OPEN.dec()


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
