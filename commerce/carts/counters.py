"""Daily counters of carts created and orders placed (DailyCount), kept by the services that do either.

Checkout belongs to orders, above carts, so the counter lives here where both reach it. Each count is one UPDATE
with F() (concurrent checkouts add, never overwrite); the day's row is created by the first count of the day, and
a creation that loses the race to a concurrent one falls back to the UPDATE.
"""
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import DailyCount


def _count(field: str) -> None:
    day = timezone.localdate()
    if DailyCount.objects.filter(date=day).update(**{field: F(field) + 1}):
        return
    try:
        with transaction.atomic():
            DailyCount.objects.create(date=day, **{field: 1})
    except IntegrityError:  # another request created today's row first
        DailyCount.objects.filter(date=day).update(**{field: F(field) + 1})


def cart_created() -> None:
    _count("carts_created")


def order_placed() -> None:
    _count("orders_placed")
