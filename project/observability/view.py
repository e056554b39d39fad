"""`GET /metrics`: the Prometheus text of every process's metrics, for a scraper the operator allows.

Allowed by a bearer token (METRICS_TOKEN: `Authorization: Bearer <token>`) or by the caller's address
(METRICS_ALLOWED_IPS: addresses or networks, the caller as TRUSTED_PROXY_HOPS reads it). With neither set the
endpoint does not exist (404); set, a caller that matches neither gets 403. DEBUG allows loopback unless
METRICS_ALLOWED_IPS says otherwise, so `make run` can be scraped locally and nothing is open in production unless
asked for.

Queue depth is not recorded by any process: it is read from the broker at each scrape.
"""
import hmac
import ipaddress
import os

import dramatiq
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from dramatiq.common import dq_name, xq_name
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from commerce.accounts.throttle import client_address


@require_GET
def metrics(request):
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_IPS:
        return HttpResponse("Not found.", status=404, content_type="text/plain")
    if not allowed(request):
        return HttpResponse("Forbidden.", status=403, content_type="text/plain")
    body = generate_latest(_registry()) + generate_latest(_queues)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    if not settings.METRICS_ALLOWED_IPS:
        return False
    try:
        caller = ipaddress.ip_address(client_address(request.META.get("REMOTE_ADDR"),
                                                     request.headers.get("X-Forwarded-For")))
    except ValueError:
        return False
    caller = getattr(caller, "ipv4_mapped", None) or caller
    return any(caller in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


def _networks(entries: tuple[str, ...]):
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def _registry():
    """Every process's values when they share PROMETHEUS_MULTIPROC_DIR, else this process's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class QueueDepth:
    """Messages waiting in each declared queue: ready, delayed (a retry's backoff, a scheduled job) and dead
    (out of retries, kept by the broker for a week)."""

    def collect(self):
        family = GaugeMetricFamily("commerce_job_queue_depth", "Messages in the job broker's queues, read at the "
                                   "scrape.", labels=["queue", "state"])
        broker = dramatiq.get_broker()
        queues = sorted(name for name in broker.get_declared_queues() if not name.endswith((".DQ", ".XQ")))
        for queue, counts in zip(queues, _depths(broker, queues)):
            for state, count in zip(("ready", "delayed", "dead"), counts):
                family.add_metric([queue, state], count)
        yield family


def _depths(broker, queues: list[str]) -> list[tuple[int, int, int]]:
    if hasattr(broker, "client") and hasattr(broker, "namespace"):  # the Redis broker: one round trip
        pipeline = broker.client.pipeline(transaction=False)
        for queue in queues:
            pipeline.llen(f"{broker.namespace}:{queue}")
            pipeline.llen(f"{broker.namespace}:{dq_name(queue)}")
            pipeline.zcard(f"{broker.namespace}:{xq_name(queue)}")
        counts = pipeline.execute()
        return [tuple(counts[i:i + 3]) for i in range(0, len(counts), 3)]
    # The in-memory broker of the embedded mode.
    return [(broker.queues[queue].qsize(), broker.queues[dq_name(queue)].qsize(),
             len(broker.dead_letters_by_queue.get(queue, ()))) for queue in queues]


_queues = CollectorRegistry(auto_describe=False)
_queues.register(QueueDepth())
