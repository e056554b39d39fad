"""Invoices in the admin: read-only beside their order (with links to their PDFs) and in their own list, and an
order action that requests the invoice through the same service as invoiceRequest."""
from django.contrib import admin
from django.utils.html import format_html

from commerce.admin import ReadOnlyAdmin
from commerce.orders.models import Order

from . import services
from .models import Invoice


def _download(invoice: Invoice) -> str:
    path = services.signed_path(invoice)
    return format_html('<a href="{}">{}.pdf</a>', path, invoice.number) if path else "being rendered"


class InvoiceInline(admin.TabularInline):
    model = Invoice
    fk_name = "order"
    extra = 0
    can_delete = False
    fields = readonly_fields = ["number", "kind", "total", "currency", "created_at", "pdf"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="PDF")
    def pdf(self, invoice: Invoice) -> str:
        return _download(invoice)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "order", "total", "currency", "created_at", "pdf"]
    list_filter = ["kind", "year", "created_at"]
    search_fields = ["number", "=order__id", "order__email"]
    list_select_related = ["order"]
    exclude = ["data"]

    @admin.display(description="PDF")
    def pdf(self, invoice: Invoice) -> str:
        return _download(invoice)


# The order admin as registered before this app (commerce.payments.admin's, or an app's after it), with invoices.
# Its inlines are read from the registered instance: an app before this one (support) may have added some there.
_registered = admin.site._registry[Order]
_OrderAdmin = type(_registered)
admin.site.unregister(Order)


@admin.register(Order)
class OrderAdmin(_OrderAdmin):
    inlines = [*_registered.inlines, InvoiceInline]
    actions = [*_OrderAdmin.actions, "request_invoice"]

    @admin.action(description="Request the invoice (numbered now, its PDF made and mailed by a job)")
    def request_invoice(self, request, queryset):
        self._each(request, queryset, lambda o: services.request_invoice(o, actor=request.user), "invoiced")
