"""Sales figures for staff: the API's `salesReport` and the daily email.

The database computes everything: one aggregate over the window's orders and one grouped query over their
lines, however many orders there are. What counts:

- an order counts when it was placed in [start, end) and paid (its payment status is not NOT_PAID); an order
  never paid (expired, cancelled unpaid) is not a sale;
- `revenue` is the money kept: the paid orders' totals less what was refunded of them, so a paid order that
  was later cancelled (refunded in full) nets to nothing;
- `refunded` is what was refunded of those orders, counted on the day the order was placed;
- `orders` and `average_order_value` leave cancelled orders out; the average is of the orders' totals before
  refunds (as Shopify reports it). An order refunded without being cancelled (delivered, then refunded in full)
  still counts as an order and in the average, and its refund comes off `revenue`: Shopify counts the order and
  takes the refund from net sales;
- top products are ranked by units sold in orders that were not cancelled, then by their line totals (before
  the order's discount, shipping and tax). Refunds are amounts, not returned items, so a refunded order's units
  still count as sold.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, Count, DecimalField, F, Max, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from commerce.errors import DomainError
from commerce.money import round_money
from commerce.notifications.emails import send_once
from commerce.orders.models import Order, OrderLine, OrderStatus, PaymentStatus

ZERO = Decimal("0.00")
_PAID = ~Q(payment_status=PaymentStatus.NOT_PAID)
_KEPT = ~Q(status=OrderStatus.CANCELLED)
_SOLD_STATUSES = [OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.DELIVERED]


@dataclass(frozen=True)
class SalesTotals:
    revenue: Decimal
    orders: int
    average_order_value: Decimal
    refunded: Decimal


@dataclass(frozen=True)
class ProductSales:
    product_id: int | None  # None once the product is gone: the line's snapshot still names it
    product_name: str
    quantity: int
    revenue: Decimal


def _money_sum(expression, **extra) -> Coalesce:
    return Coalesce(Sum(expression, **extra), Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2))


class ReportWindowError(DomainError):
    """A window the shop will not report on: backwards, or wider than SALES_REPORT_MAX_DAYS (on a big shop a
    wider one could outlast the web statement_timeout: ask for it in parts)."""

    def __init__(self, message: str, *, field: list[str], maximum: int | None = None):
        super().__init__(message, field=field)
        self.maximum = maximum


def check_window(start: datetime, end: datetime) -> None:
    if start > end:
        raise ReportWindowError("'from' must not be after 'to'.", field=["from"])
    days = settings.SALES_REPORT_MAX_DAYS
    if end - start > timedelta(days=days):
        raise ReportWindowError(f"The window may span at most {days} days.", field=["to"], maximum=days)


def _window(start: datetime, end: datetime) -> Q:
    return Q(created_at__gte=start, created_at__lt=end)


def totals(start: datetime, end: datetime) -> SalesTotals:
    """The window's figures in one query."""
    figures = Order.objects.filter(_window(start, end), _PAID).aggregate(
        gross=_money_sum("total"),
        refunded=_money_sum("refunded_total"),
        kept_gross=_money_sum("total", filter=_KEPT),
        orders=Count("pk", filter=_KEPT),
    )
    orders, currency = figures["orders"], settings.SHOP_CURRENCY  # rounded: SQLite's decimal sums carry float noise
    average = round_money(figures["kept_gross"] / orders, currency) if orders else ZERO
    return SalesTotals(revenue=round_money(figures["gross"] - figures["refunded"], currency), orders=orders,
                       average_order_value=average, refunded=round_money(figures["refunded"], currency))


def top_products(start: datetime, end: datetime, *, limit: int = 10) -> list[ProductSales]:
    """Best sellers in one grouped query: by product while it exists, else by the name its lines recorded."""
    lines = OrderLine.objects.filter(
        Q(order__created_at__gte=start, order__created_at__lt=end), order__status__in=_SOLD_STATUSES,
    ).exclude(order__payment_status=PaymentStatus.NOT_PAID)
    rows = (
        lines.annotate(
            product_key=F("variant__product_id"),
            orphan_name=Case(When(variant__product_id__isnull=True, then=F("product_name")), default=Value(""),
                             output_field=CharField()),
        )
        .values("product_key", "orphan_name")
        .annotate(
            name=Coalesce(Max("variant__product__name"), Max("product_name")),
            units=Sum("quantity"),
            line_revenue=_money_sum("total"),
        )
        .order_by("-units", "-line_revenue", "name")[:limit]
    )
    return [ProductSales(product_id=row["product_key"], product_name=row["name"], quantity=row["units"],
                         revenue=round_money(row["line_revenue"], settings.SHOP_CURRENCY)) for row in rows]


def day_window(day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight of `day` in the shop's time zone (settings.TIME_ZONE)."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def send_daily_report(day: date) -> int:
    """Email `day`'s figures to every active staff member, once per day and person; returns how many went."""
    start, end = day_window(day)
    context = {"day": day, "totals": totals(start, end), "top_products": top_products(start, end, limit=5),
               "currency": settings.SHOP_CURRENCY, "time_zone": settings.TIME_ZONE}
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).values_list("email", flat=True)
    return sum(send_once(f"sales-report:{day.isoformat()}:{email}", "sales_report", email, context) for email in staff)
