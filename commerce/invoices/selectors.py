"""Which invoices a caller may read by ID: those of the orders they may (their own; staff all)."""
from django.db.models import QuerySet

from commerce.orders.selectors import visible_orders

from .models import Invoice


def visible_invoices(viewer) -> QuerySet[Invoice]:
    return Invoice.objects.filter(order__in=visible_orders(viewer))
