"""Orders in the admin: status is read-only, and the actions go through the same services as the API, so they
write events, restock and notify exactly as the API does."""
from django.contrib import admin, messages
from commerce.admin import ReadOnlyAdmin, ReadOnlyInline
from commerce.errors import DomainError
from commerce.exports.admin import ExportAdmin

from . import returns, services
from .exports import ORDER_LINES, ORDERS
from .models import (
    DailyProductSales,
    DailySales,
    IdempotencyKey,
    Order,
    OrderEvent,
    OrderLine,
    Return,
    ReturnLine,
    Shipment,
    ShipmentLine,
)


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = readonly_fields = ["product_name", "variant_name", "sku", "quantity", "unit_price", "undiscounted_unit_price",
                                "total"]


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = readonly_fields = ["created_at", "type", "previous_status", "status", "payment_status", "actor", "message"]


def each(model_admin, request, queryset, change, done: str) -> None:
    """An action's `change` applied to each selected row through its service, with one message per row."""
    for row in queryset:
        name = str(row)[:1].upper() + str(row)[1:]
        try:
            change(row)
        except DomainError as refused:
            model_admin.message_user(request, f"{name}: {refused.message}", messages.WARNING)
        else:
            model_admin.message_user(request, f"{name} {done}.", messages.SUCCESS)


class ShipmentInline(ReadOnlyInline):
    """An order's parcels; shipping part of an order is the API's orderShip (the action below ships the rest)."""

    model = Shipment
    fields = readonly_fields = ["created_at", "status", "carrier", "tracking_number", "tracking_url", "delivered_at"]
    show_change_link = True


class ReturnInline(ReadOnlyInline):
    model = Return
    fields = readonly_fields = ["created_at", "status", "reason", "refund_amount", "payout_pending", "restocked"]
    show_change_link = True


class OrderAdmin(ExportAdmin):
    """Registered by commerce.payments.admin, which adds the actions that involve money (payments sits above
    orders: this app does not import it)."""

    list_display = ["number", "email", "status", "payment_status", "total", "currency", "created_at"]
    list_filter = ["status", "payment_status", "created_at", ("account_deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["=id", "email", "token"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Order._meta.fields if f.name not in {"carrier", "tracking_number", "tracking_url"}]
    inlines = [OrderLineInline, ShipmentInline, ReturnInline, OrderEventInline]
    actions = ["fulfil", "mark_delivered"]
    exports = (ORDERS, ORDER_LINES)

    def has_add_permission(self, request):
        return False

    def _each(self, request, queryset, change, done: str):
        each(self, request, queryset, change, done)

    @admin.action(description="Ship what is left (with the carrier and tracking saved on the order)")
    def fulfil(self, request, queryset):
        self._each(request, queryset, lambda o: services.fulfill(
            o, actor=request.user, carrier=o.carrier, tracking_number=o.tracking_number, tracking_url=o.tracking_url),
            "shipped")

    @admin.action(description="Mark delivered")
    def mark_delivered(self, request, queryset):
        self._each(request, queryset, lambda o: services.mark_delivered(o, actor=request.user), "delivered")



class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = readonly_fields = ["order_line", "quantity"]


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "order", "status", "carrier", "tracking_number", "shipped_at", "delivered_at"]
    list_filter = ["status", "carrier"]
    search_fields = ["=order__id", "tracking_number", "order__email"]
    inlines = [ShipmentLineInline]


class ReturnLineInline(ShipmentLineInline):
    model = ReturnLine


@admin.register(ShipmentLine)
class ShipmentLineAdmin(ReadOnlyAdmin):
    list_display = ["shipment", "order_line", "quantity"]
    list_select_related = ["shipment", "order_line"]
    search_fields = ["=shipment__order__id", "order_line__sku"]


@admin.register(ReturnLine)
class ReturnLineAdmin(ReadOnlyAdmin):
    list_display = ["order_return", "order_line", "quantity"]
    list_select_related = ["order_return", "order_line"]
    search_fields = ["=order_return__order__id", "order_line__sku"]


class ReturnAdmin(ReadOnlyAdmin):
    """Registered by commerce.payments.admin, which adds receiving (it refunds)."""

    list_display = ["pk", "order", "status", "refund_amount", "payout_pending", "restocked", "created_at"]
    list_filter = ["status", "payout_pending", "created_at"]
    search_fields = ["=order__id", "order__email", "reason"]
    list_select_related = ["order"]
    inlines = [ReturnLineInline]
    actions = ["approve"]

    def _each(self, request, queryset, change, done: str):
        each(self, request, queryset, change, done)

    @admin.action(description="Approve (the customer sends the items back)")
    def approve(self, request, queryset):
        self._each(request, queryset, lambda r: returns.approve(r, actor=request.user), "approved")


@admin.register(OrderLine)
class OrderLineAdmin(ExportAdmin, ReadOnlyAdmin):
    exports = (ORDER_LINES,)
    list_display = ["order", "product_name", "variant_name", "sku", "quantity", "unit_price", "undiscounted_unit_price",
                    "total"]
    search_fields = ["sku", "product_name", "=order__id", "order__email"]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ["order", "type", "previous_status", "status", "payment_status", "actor", "created_at"]
    list_filter = ["type", "status", "created_at"]
    search_fields = ["=order__id", "order__email", "message"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["operation", "caller", "key", "order", "finished_at", "created_at"]
    list_filter = ["operation"]
    search_fields = ["key", "caller", "=order__id"]


@admin.register(DailySales)
class DailySalesAdmin(ReadOnlyAdmin):
    """The dashboard's rollup of past days (commerce.orders.rollup): shown to check it, kept by the code."""

    list_display = ["date", "gross", "refunded", "kept_gross", "orders", "computed_at", "changed_at"]
    date_hierarchy = "date"


@admin.register(DailyProductSales)
class DailyProductSalesAdmin(ReadOnlyAdmin):
    list_display = ["date", "name", "units", "revenue"]
    date_hierarchy = "date"
    search_fields = ["name"]
