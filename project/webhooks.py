"""`POST /webhooks/<gateway>/` (or PUT): a payment provider's events, verified on the raw body, recorded once, applied by a job.

Answers at once: 200 for a recorded event and for a duplicate (the provider stops resending), 400 for a bad,
missing or stale signature (nothing is recorded), 404 for a gateway this shop does not run, 503 when the provider
that verifies its own events (PayPal) cannot be reached (nothing is recorded; it sends the event again). The work
is a job, so a slow or failing step never makes the provider wait.
"""
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from commerce import signing
from commerce.orders.models import ShipmentStatus
from commerce.orders.shipments import record_carrier_status
from commerce.payments.gateways import is_enabled
from commerce.payments.gateways.base import InvalidWebhook, ProviderError
from commerce.payments.services import receive_webhook
from project.observability.metrics import WEBHOOKS


@csrf_exempt
@require_http_methods(["POST", "PUT"])  # MTN MoMo sends its callbacks with either
def gateway_webhook(request: HttpRequest, gateway: str) -> HttpResponse:
    if not is_enabled(gateway):  # the path is the caller's: counted as "other", not under its name
        WEBHOOKS.labels("other", "unknown_gateway").inc()
        return JsonResponse({"error": "no such payment gateway"}, status=404)
    try:
        recorded = receive_webhook(gateway, request.body, request.headers)
    except InvalidWebhook:
        WEBHOOKS.labels(gateway, "invalid").inc()
        return JsonResponse({"error": "invalid signature"}, status=400)
    except ProviderError:
        WEBHOOKS.labels(gateway, "unverified").inc()
        return JsonResponse({"error": "the provider could not verify the event; send it again"}, status=503)
    WEBHOOKS.labels(gateway, "recorded" if recorded else "duplicate").inc()
    return JsonResponse({"received": True, "duplicate": not recorded})


@csrf_exempt
@require_http_methods(["POST"])
def shipment_webhook(request: HttpRequest) -> HttpResponse:
    """`POST /webhooks/shipments/`: a shipping integration says a parcel moved, `{trackingNumber, status,
    occurredAt}` signed with SHIPMENT_WEBHOOK_SECRET (X-Webhook-Signature, commerce.signing). Applied at once (a
    row or two): a repeat, or a status the parcel is already past, changes nothing. 404 while no secret is set;
    400 for a bad signature or body; 200 otherwise, with how many of our shipments carry the number (0: none)."""
    if not settings.SHIPMENT_WEBHOOK_SECRET:
        return JsonResponse({"error": "not found"}, status=404)
    try:
        signing.verify(request.headers.get(signing.HEADER), request.body, settings.SHIPMENT_WEBHOOK_SECRET)
    except signing.BadSignature:
        return JsonResponse({"error": "invalid signature"}, status=400)
    try:
        event = json.loads(request.body)
        tracking_number, status = str(event["trackingNumber"]).strip(), ShipmentStatus(event["status"])
        occurred_at = parse_datetime(event["occurredAt"]) if event.get("occurredAt") else None
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "expected {trackingNumber, status, occurredAt} with a ShipmentStatus and an "
                                      "ISO 8601 time with its offset"}, status=400)
    if occurred_at is not None and occurred_at.tzinfo is None:
        return JsonResponse({"error": "occurredAt needs its offset"}, status=400)
    return JsonResponse({"received": True, "shipments": record_carrier_status(tracking_number, status, occurred_at)})
