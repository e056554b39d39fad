"""A provider's event delivered in process, as every gateway's tests deliver them: POSTed to our webhook with the
provider's headers, then what was recorded applied as its job would apply it."""
from django.test import Client

from commerce.payments import services as payments
from commerce.payments.models import WebhookEvent


def deliver_in_process(gateway: str, body: bytes, headers: dict[str, str]):
    """`headers` by their HTTP names (`Stripe-Signature`) or Django's (`HTTP_STRIPE_SIGNATURE`)."""
    meta = {name if name.startswith("HTTP_") else f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in headers.items()}
    response = Client().post(f"/webhooks/{gateway}/", body, content_type="application/json", **meta)
    for pending in WebhookEvent.objects.filter(processed_at__isnull=True):
        payments.process_event(pending.pk)
    return response
