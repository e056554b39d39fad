"""Which payments a caller may read by ID: those of the orders they may (their own; staff all)."""
from django.db.models import QuerySet

from commerce.orders.selectors import visible_orders
from commerce.payments.models import Payment


def visible_payments(viewer) -> QuerySet[Payment]:
    return Payment.objects.filter(order__in=visible_orders(viewer))
