"""Maintained daily aggregates of past days (DailySales, DailyProductSales), so the dashboard reads 60 rows
instead of a million orders' (bench/dashboard.py: plain grouped SQL took 0.8 s at 1,000,000 orders).

A past day's rows are computed from its orders the first time they are needed, by the same sums and rules as
commerce.orders.reports. An order changes only through an event (orders.services.record_event), and every event
marks its order's day changed once it commits; a row computed before its day's last change is computed again.
The times are taken so that the mistake, if any, is to compute again: `computed_at` is read before the sums run,
`changed_at` after the change committed. Today is never stored (it changes all day): reports sums it live.
"""
from collections.abc import Iterable
from datetime import date, datetime
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import DailyProductSales, DailySales


def order_changed(created_at: datetime) -> None:
    """An order placed at `created_at` changed: its day's figures are stale from the commit on."""
    day = timezone.localdate(created_at)
    transaction.on_commit(lambda: _mark_changed(day))


def _mark_changed(day: date) -> None:
    if day >= timezone.localdate():
        return  # today is summed live, never stored
    DailySales.objects.bulk_create([DailySales(date=day, changed_at=timezone.now())], update_conflicts=True,
                                   unique_fields=["date"], update_fields=["changed_at"])


def is_fresh(row: DailySales | None) -> bool:
    return row is not None and row.computed_at is not None and (row.changed_at is None or row.computed_at > row.changed_at)


def sales_rows(first: date, last: date, *, compute) -> dict[date, DailySales]:
    """The stored rows of [first, last] (all past days), computing the missing or stale ones with
    `compute(days) -> (sales rows, product rows)` (commerce.orders.reports, where the rules are)."""
    rows = {row.date: row for row in DailySales.objects.filter(date__gte=first, date__lte=last)}
    wanted = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    stale = [day for day in wanted if not is_fresh(rows.get(day))]
    if stale:
        rows.update(_store(stale, compute))
    return rows


def _store(days: list[date], compute) -> dict[date, DailySales]:
    computed_at = timezone.now()
    sales, products = compute(days)
    for row in sales:
        row.computed_at = computed_at
    with transaction.atomic():
        DailySales.objects.bulk_create(sales, batch_size=1000, update_conflicts=True, unique_fields=["date"],
                                       update_fields=["gross", "refunded", "kept_gross", "orders", "computed_at"])
        DailyProductSales.objects.filter(date__in=days).delete()
        DailyProductSales.objects.bulk_create(products, batch_size=1000, update_conflicts=True,
                                              unique_fields=["date", "product_key", "orphan_name"],
                                              update_fields=["name", "units", "revenue"])
    return {row.date: row for row in sales}


def days_filter(days: Iterable[date], field: str, window) -> Q:
    """`field` within any of `days` (shop time zone): a range per run of consecutive days, which the index on
    `field` serves (59 stale days in a row are one range, not 59)."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return reduce(or_, (Q(**{f"{field}__gte": window(first)[0], f"{field}__lt": window(last)[1]})
                        for first, last in runs))


def local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=timezone.get_current_timezone())
