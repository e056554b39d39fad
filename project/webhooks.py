"""`POST /webhooks/stripe/`: Stripe's events, verified on the raw body, recorded once, applied by a job.

Answers at once: 200 for a recorded event and for a duplicate (Stripe stops resending), 400 for a bad, missing
or stale signature (nothing is recorded). The work is a job, so a slow or failing step never makes Stripe wait.
"""
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from commerce.payments.gateways.base import InvalidWebhook
from commerce.payments.services import receive_webhook


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        recorded = receive_webhook("stripe", request.body, request.headers)
    except InvalidWebhook:
        return JsonResponse({"error": "invalid signature"}, status=400)
    return JsonResponse({"received": True, "duplicate": not recorded})
