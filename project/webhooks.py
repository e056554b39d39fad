"""`POST /webhooks/<gateway>/` (or PUT): a payment provider's events, verified on the raw body, recorded once, applied by a job.

Answers at once: 200 for a recorded event and for a duplicate (the provider stops resending), 400 for a bad,
missing or stale signature (nothing is recorded), 404 for a gateway this shop does not run, 503 when the provider
that verifies its own events (PayPal) cannot be reached (nothing is recorded; it sends the event again). The work
is a job, so a slow or failing step never makes the provider wait.
"""
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

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
