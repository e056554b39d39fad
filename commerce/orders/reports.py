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

from commerce.carts.models import DailyCount
from commerce.catalog.models import ProductVariant
from commerce.errors import DomainError
from commerce.money import round_money
from commerce.notifications.emails import send_once
from commerce.orders import rollup
from commerce.orders.models import (
    DailyProductSales,
    DailySales,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    Return,
    ReturnStatus,
)

ZERO = Decimal("0.00")
_PAID = ~Q(payment_status=PaymentStatus.NOT_PAID)
_KEPT = ~Q(status=OrderStatus.CANCELLED)
_SOLD_STATUSES = [OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED, OrderStatus.DELIVERED]


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


# What `_sales_totals` is computed from, summed over a window's paid orders (or over each of its days).
_SALES_SUMS = {
    "gross": _money_sum("total"),
    "refunded": _money_sum("refunded_total"),
    "kept_gross": _money_sum("total", filter=_KEPT),
    "orders": Count("pk", filter=_KEPT),
}


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
    figures = Order.objects.filter(_window(start, end), _PAID).aggregate(**_SALES_SUMS)
    return _sales_totals(figures["gross"], figures["refunded"], figures["kept_gross"], figures["orders"])


def _sales_totals(gross: Decimal, refunded: Decimal, kept_gross: Decimal, orders: int) -> SalesTotals:
    """The rules above, from the four sums: one place for `salesReport`, the daily email and the dashboard."""
    currency = settings.SHOP_CURRENCY  # rounded: SQLite's decimal sums carry float noise
    average = round_money(kept_gross / orders, currency) if orders else ZERO
    return SalesTotals(revenue=round_money(gross - refunded, currency), orders=orders,
                       average_order_value=average, refunded=round_money(refunded, currency))


def _sold_lines(window: Q):
    """Lines of orders placed in `window` (a Q on the order's created_at) that sold: paid and not cancelled,
    keyed by product while it exists (product_key), else by the name the lines recorded (orphan_name; key 0)."""
    return (
        OrderLine.objects.filter(window, order__status__in=_SOLD_STATUSES)
        .exclude(order__payment_status=PaymentStatus.NOT_PAID)
        .annotate(
            product_key=Coalesce(F("variant__product_id"), Value(0)),
            orphan_name=Case(When(variant__product_id__isnull=True, then=F("product_name")), default=Value(""),
                             output_field=CharField()),
        )
    )


_PRODUCT_SUMS = {
    "name": Coalesce(Max("variant__product__name"), Max("product_name")),
    "units": Sum("quantity"),
    "line_revenue": _money_sum("total"),
}


def _product_sales(row: dict) -> ProductSales:
    return ProductSales(product_id=row["product_key"] or None, product_name=row["name"], quantity=row["units"],
                        revenue=round_money(row["line_revenue"], settings.SHOP_CURRENCY))


def top_products(start: datetime, end: datetime, *, limit: int = 10) -> list[ProductSales]:
    """Best sellers in one grouped query: by product while it exists, else by the name its lines recorded."""
    rows = (_sold_lines(Q(order__created_at__gte=start, order__created_at__lt=end))
            .values("product_key", "orphan_name").annotate(**_PRODUCT_SUMS)
            .order_by("-units", "-line_revenue", "name")[:limit])
    return [_product_sales(row) for row in rows]


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


# The back-office dashboard (commerce.admin_site): the same rules, per day over the last 60 days, so that today,
# 7 days and 30 days and the period before each come out of one grouped query per table, whatever the number of
# orders. A period is whole days in the shop's time zone ending today; the period before it is as many days
# before that (today against all of yesterday, the last 7 days against the 7 before).

DASHBOARD_PERIODS = (("Today", 1), ("7 days", 7), ("30 days", 30))
CHART_DAYS = 30
WAITING_TO_SHIP = [OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED]
PENDING_RETURNS = [ReturnStatus.REQUESTED, ReturnStatus.APPROVED]  # staff must decide, or the parcel is awaited


@dataclass(frozen=True)
class DaySales:
    day: date
    gross: Decimal
    refunded: Decimal
    kept_gross: Decimal
    orders: int
    new_customers: int = 0
    carts_created: int = 0
    orders_placed: int = 0

    @property
    def revenue(self) -> Decimal:
        return round_money(self.gross - self.refunded, settings.SHOP_CURRENCY)


@dataclass(frozen=True)
class PeriodFigures:
    sales: SalesTotals
    new_customers: int
    carts_created: int
    orders_placed: int

    @property
    def conversion(self) -> Decimal | None:
        """Orders placed per cart created, in percent; None before any cart (not 0%: nothing to convert)."""
        if not self.carts_created:
            return None
        return (Decimal(100) * self.orders_placed / self.carts_created).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Kpi:
    label: str
    kind: str  # "money", "count" or "percent": how the tile formats it
    current: Decimal | int | None
    previous: Decimal | int | None

    @property
    def change(self) -> Decimal | None:
        """The change against the period before, in percent; None where that period had nothing."""
        if self.current is None or not self.previous:
            return None
        return (Decimal(100) * (Decimal(self.current) - Decimal(self.previous)) / Decimal(self.previous)).quantize(
            Decimal("0.1"))


@dataclass(frozen=True)
class Period:
    name: str
    days: int
    current: PeriodFigures
    previous: PeriodFigures

    @property
    def kpis(self) -> list[Kpi]:
        now, before = self.current, self.previous
        return [
            Kpi("Revenue", "money", now.sales.revenue, before.sales.revenue),
            Kpi("Orders", "count", now.sales.orders, before.sales.orders),
            Kpi("Average order value", "money", now.sales.average_order_value, before.sales.average_order_value),
            Kpi("Refunds", "money", now.sales.refunded, before.sales.refunded),
            Kpi("New customers", "count", now.new_customers, before.new_customers),
            Kpi("Checkout conversion", "percent", now.conversion, before.conversion),
        ]


@dataclass(frozen=True)
class Dashboard:
    today: date
    currency: str
    periods: list[Period]
    days: list[DaySales]  # the chart's: the last CHART_DAYS days, oldest first, every day present
    top_products: list[ProductSales]
    low_stock: list[ProductVariant]  # each with its product and `threshold`
    waiting_to_ship: list[Order]
    waiting_to_ship_count: int
    pending_returns: list[Return]  # each with its order
    pending_returns_count: int


def _sales_by_day(days: list[date]) -> dict[date, dict]:
    """The four sums of each of `days`, in one grouped query."""
    return {row["day"]: row for row in Order.objects.filter(rollup.days_filter(days, "created_at", day_window), _PAID)
            .annotate(day=rollup.local_day("created_at")).order_by().values("day").annotate(**_SALES_SUMS)}


def _products_by_day(days: list[date]) -> list[dict]:
    return list(_sold_lines(rollup.days_filter(days, "order__created_at", day_window))
                .annotate(day=rollup.local_day("order__created_at"))
                .values("day", "product_key", "orphan_name").annotate(**_PRODUCT_SUMS).order_by())


def _roll_up(days: list[date]) -> tuple[list[DailySales], list[DailyProductSales]]:
    """What commerce.orders.rollup stores for `days`: the same sums and rules as `totals` and `top_products`."""
    sums = _sales_by_day(days)
    sales = [DailySales(date=day, **{key: sums.get(day, {}).get(key, 0 if key == "orders" else ZERO)
                                     for key in _SALES_SUMS}) for day in days]
    products = [DailyProductSales(date=row["day"], product_key=row["product_key"], orphan_name=row["orphan_name"],
                                  name=row["name"], units=row["units"], revenue=row["line_revenue"])
                for row in _products_by_day(days)]
    return sales, products


def daily_sales(first: date, today: date) -> list[DaySales]:
    """Every day from `first` to `today` (shop time zone) with its sales sums, new customers and cart/order
    counts: past days from the maintained rollup (commerce.orders.rollup), today summed live, new customers and
    the counters grouped by day; days without any are 0. A fixed number of queries whatever the orders."""
    yesterday = today - timedelta(days=1)
    stored = rollup.sales_rows(first, yesterday, compute=_roll_up) if first <= yesterday else {}
    live = _sales_by_day([today]).get(today, {})
    start, _ = day_window(first)
    _, end = day_window(today)
    joined = dict(
        get_user_model().objects.filter(date_joined__gte=start, date_joined__lt=end, is_staff=False)
        .annotate(day=rollup.local_day("date_joined")).order_by().values("day")
        .annotate(count=Count("pk")).values_list("day", "count")
    )
    counts = {row.date: row for row in DailyCount.objects.filter(date__gte=first, date__lte=today)}
    days = []
    for offset in range((today - first).days + 1):
        day = first + timedelta(days=offset)
        if day == today:
            sums = {key: live.get(key, 0 if key == "orders" else ZERO) for key in _SALES_SUMS}
        else:
            row = stored[day]
            sums = {"gross": row.gross, "refunded": row.refunded, "kept_gross": row.kept_gross, "orders": row.orders}
        counted = counts.get(day)
        days.append(DaySales(day=day, **sums, new_customers=joined.get(day, 0),
                             carts_created=counted.carts_created if counted else 0,
                             orders_placed=counted.orders_placed if counted else 0))
    return days


def dashboard_top_products(first: date, today: date, *, limit: int = 5) -> list[ProductSales]:
    """Best sellers from `first` to `today`: the rollup's past days (daily_sales computed them just before) and
    today's lines, merged; ranked as `top_products` ranks them."""
    totals_by_key: dict[tuple, dict] = {}
    past = (DailyProductSales.objects.filter(date__gte=first, date__lt=today).values("product_key", "orphan_name")
            .annotate(name=Max("name"), units=Sum("units"), line_revenue=Sum("revenue")).order_by())
    today_start, today_end = day_window(today)
    live = (_sold_lines(Q(order__created_at__gte=today_start, order__created_at__lt=today_end))
            .values("product_key", "orphan_name").annotate(**_PRODUCT_SUMS).order_by())
    for row in [*past, *live]:
        key = (row["product_key"], row["orphan_name"])
        if key in totals_by_key:
            kept = totals_by_key[key]
            kept["units"] += row["units"]
            kept["line_revenue"] += row["line_revenue"]
        else:
            totals_by_key[key] = dict(row)
    ranked = sorted(totals_by_key.values(), key=lambda row: (-row["units"], -row["line_revenue"], row["name"]))
    return [_product_sales(row) for row in ranked[:limit]]


def _period_figures(days: list[DaySales]) -> PeriodFigures:
    sales = _sales_totals(sum((d.gross for d in days), ZERO), sum((d.refunded for d in days), ZERO),
                          sum((d.kept_gross for d in days), ZERO), sum(d.orders for d in days))
    return PeriodFigures(sales=sales, new_customers=sum(d.new_customers for d in days),
                         carts_created=sum(d.carts_created for d in days),
                         orders_placed=sum(d.orders_placed for d in days))


def low_stock_variants(*, limit: int = 10) -> list[ProductVariant]:
    """Variants under their low-stock threshold (their own, else LOW_STOCK_THRESHOLD), fewest units first."""
    threshold = Coalesce("low_stock_threshold", Value(settings.LOW_STOCK_THRESHOLD))
    return list(ProductVariant.objects.select_related("product").annotate(threshold=threshold)
                .filter(stock__lt=F("threshold")).order_by("stock", "product__name", "pk")[:limit])


def waiting_to_ship(*, limit: int = 10) -> tuple[list[Order], int]:
    """The oldest paid orders not yet (fully) shipped, and how many there are: two queries on the status index
    (one with a window count would read every waiting order to count them before taking the first ten)."""
    waiting = Order.objects.filter(status__in=WAITING_TO_SHIP)
    return list(waiting.order_by("created_at", "pk")[:limit]), waiting.count()


def pending_returns(*, limit: int = 10) -> tuple[list[Return], int]:
    """The oldest returns waiting on staff (to decide, or for the parcel), and how many: two queries."""
    pending = Return.objects.filter(status__in=PENDING_RETURNS)
    return list(pending.select_related("order").order_by("created_at", "pk")[:limit]), pending.count()


def dashboard(today: date | None = None) -> Dashboard:
    """Every figure the admin's dashboard shows, in a fixed number of queries however many orders, customers,
    products and returns."""
    today = today or timezone.localdate()
    longest = max(days for _, days in DASHBOARD_PERIODS)
    days = daily_sales(today - timedelta(days=2 * longest - 1), today)
    periods = [Period(name, length, current=_period_figures(days[-length:]),
                      previous=_period_figures(days[-2 * length:-length])) for name, length in DASHBOARD_PERIODS]
    waiting, waiting_count = waiting_to_ship()
    returns, returns_count = pending_returns()
    return Dashboard(today=today, currency=settings.SHOP_CURRENCY, periods=periods, days=days[-CHART_DAYS:],
                     top_products=dashboard_top_products(today - timedelta(days=CHART_DAYS - 1), today),
                     low_stock=low_stock_variants(),
                     waiting_to_ship=waiting, waiting_to_ship_count=waiting_count,
                     pending_returns=returns, pending_returns_count=returns_count)
