"""What the payment provider said and what we did: records, not forms; and the order actions that move money."""
from django.contrib import admin

from commerce.admin import ReadOnlyAdmin as ReadOnly
from commerce.orders import admin as orders_admin
from commerce.orders.models import Order, Return

from . import returns, services
from .models import Payment, Refund, WebhookEvent


@admin.register(Order)
class OrderAdmin(orders_admin.OrderAdmin):
    actions = ["fulfil", "mark_delivered", "cancel", "refund", "export_csv"]

    @admin.action(description="Cancel (refunds a paid order in full; restocks)")
    def cancel(self, request, queryset):
        self._each(request, queryset, lambda o: services.cancel_order(o, actor=request.user, as_staff=True),
                   "cancelled")

    @admin.action(description="Refund what remains (through the payment provider)")
    def refund(self, request, queryset):
        self._each(request, queryset, lambda o: services.refund(o, amount=None, actor=request.user), "refunded")


@admin.register(Return)
class ReturnAdmin(orders_admin.ReturnAdmin):
    actions = ["approve", "receive", "receive_without_restock"]

    @admin.action(description="Receive and refund (restocks)")
    def receive(self, request, queryset):
        self._each(request, queryset, lambda r: returns.receive(r, restock=True, actor=request.user), "received")

    @admin.action(description="Receive and refund, without restocking")
    def receive_without_restock(self, request, queryset):
        self._each(request, queryset, lambda r: returns.receive(r, restock=False, actor=request.user), "received")


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
