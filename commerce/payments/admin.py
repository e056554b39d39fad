"""What the payment provider said and what we did: records, not forms."""
from django.contrib import admin

from commerce.admin import ReadOnlyAdmin as ReadOnly

from .models import Payment, Refund, WebhookEvent


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    list_display = ["intent_id", "order", "provider", "status", "amount", "amount_received", "amount_refunded",
                    "is_stray", "flagged", "created_at"]
    list_filter = ["provider", "status", "is_stray"]
    search_fields = ["intent_id", "order__email", "=order__id"]


@admin.register(Refund)
class RefundAdmin(ReadOnly):
    list_display = ["payment", "amount", "refund_id", "succeeded", "actor", "created_at"]
    list_filter = ["succeeded"]
    search_fields = ["refund_id", "=payment__order__id", "payment__intent_id"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnly):
    list_display = ["event_id", "type", "received_at", "processed_at", "outcome"]
    list_filter = ["type"]
    search_fields = ["event_id"]
