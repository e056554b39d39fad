"""Order history for benchmarks and demos (`manage.py seed_orders`): many orders fast, in the shapes the reports
count, spread over past days.

Rows go in with bulk_create in batches, not through checkout: a million checkouts would take hours, and the
dashboard's figures only read what the rows hold. The mix, chosen with a fixed seed so runs compare: most orders
delivered or fulfilled, some paid and waiting to ship, some cancelled (unpaid, or paid and refunded in full), a
few partly refunded; one to three lines each. Each day also gets its carts created and orders placed
(DailyCount), and new customers, so every tile has something to show.
"""
import random
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from commerce.accounts.models import User
from commerce.carts.models import DailyCount
from commerce.catalog.demo import seed_catalog
from commerce.catalog.models import ProductVariant

from .models import DailySales, Order, OrderLine, OrderStatus, PaymentStatus

# (status, payment status, weight)
_MIX = [
    (OrderStatus.DELIVERED, PaymentStatus.PAID, 60),
    (OrderStatus.FULFILLED, PaymentStatus.PAID, 15),
    (OrderStatus.PAID, PaymentStatus.PAID, 5),
    (OrderStatus.DELIVERED, PaymentStatus.PARTIALLY_REFUNDED, 5),
    (OrderStatus.CANCELLED, PaymentStatus.REFUNDED, 5),
    (OrderStatus.CANCELLED, PaymentStatus.NOT_PAID, 10),
]
TAX = Decimal("0.19")


@contextmanager
def _created_at_as_given():
    """created_at is auto_now_add (pre_save sets it to now even in bulk_create): let the seeder give past days."""
    fields = [Order._meta.get_field("created_at")]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def seed_orders(count: int, *, days: int = 365, batch: int = 5000, seed: int = 1,
                progress: Callable[[int], None] = lambda done: None) -> int:
    """Add `count` orders placed over the last `days` days (and their lines, daily counts and new customers)."""
    rng = random.Random(seed + Order.objects.count())  # a second run adds different orders, as deterministically
    if ProductVariant.objects.count() < 20:
        seed_catalog(50)
    variants = list(ProductVariant.objects.values_list("pk", "product__name", "name", "sku", "price"))
    statuses, weights = [(s, p) for s, p, _ in _MIX], [w for *_, w in _MIX]
    now, currency = timezone.now(), settings.SHOP_CURRENCY
    per_day: dict = {}
    done = 0
    with _created_at_as_given():
        while done < count:
            size = min(batch, count - done)
            orders, lines_of = [], []
            for _ in range(size):
                created = now - timedelta(seconds=rng.randrange(days * 86400))
                status, payment = rng.choices(statuses, weights)[0]
                lines = [(variant, rng.randint(1, 3)) for variant in rng.sample(variants, rng.randint(1, 3))]
                subtotal = sum((price * quantity for (*_, price), quantity in lines), Decimal(0))
                shipping = Decimal("5.00")
                tax = ((subtotal + shipping) * TAX).quantize(Decimal("0.01"))
                total = subtotal + shipping + tax
                refunded = {PaymentStatus.REFUNDED: total,
                            PaymentStatus.PARTIALLY_REFUNDED: (total / 4).quantize(Decimal("0.01"))}.get(payment, 0)
                orders.append(Order(email=f"buyer{rng.randrange(10**6)}@example.com", status=status,
                                    payment_status=payment, currency=currency, subtotal=subtotal, shipping=shipping,
                                    tax=tax, total=total, refunded_total=refunded, shipping_method_name="Standard",
                                    created_at=created, updated_at=created))
                lines_of.append(lines)
                day = timezone.localdate(created)
                per_day[day] = per_day.get(day, 0) + 1
            with transaction.atomic():
                Order.objects.bulk_create(orders)
                OrderLine.objects.bulk_create(
                    OrderLine(order=order, variant_id=pk, product_name=product, variant_name=name, sku=sku,
                              quantity=quantity, unit_price=price, undiscounted_unit_price=price, total=price * quantity)
                    for order, lines in zip(orders, lines_of) for (pk, product, name, sku, price), quantity in lines)
            done += size
            progress(done)
    _count_days(per_day, rng)
    DailySales.objects.filter(date__in=list(per_day)).delete()  # computed again with the new orders (rollup)
    return done


def _count_days(per_day: dict, rng: random.Random) -> None:
    """Each day's counters (about three carts per order) and a new customer for about every fifth order."""
    for day, placed in per_day.items():
        carts = placed * 3 + rng.randrange(placed + 1)
        if not DailyCount.objects.filter(date=day).update(carts_created=F("carts_created") + carts,
                                                          orders_placed=F("orders_placed") + placed):
            DailyCount.objects.create(date=day, carts_created=carts, orders_placed=placed)
    start = User.objects.count()
    joined = [(day, i) for day, placed in per_day.items() for i in range(max(placed // 5, 0))]
    for first in range(0, len(joined), 5000):
        User.objects.bulk_create(
            User(email=f"seeded{start + first + n}@example.com", password="!",
                 date_joined=timezone.make_aware(datetime.combine(day, time(12))))
            for n, (day, _) in enumerate(joined[first:first + 5000]))
