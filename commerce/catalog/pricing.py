"""What a variant costs now: its regular price lowered by the best running sale, stored so reads stay a column.

Each variant's `sale_price` is the lowest price any sale running at `now` makes of it (a sale covers a variant when
it names its product, or a category the product is listed in: listings hold every ancestor, so a category's sale
reaches its whole subtree). Sales never stack: the buyer gets the single best one. A percentage is rounded half up
to the currency's minor unit; an amount off never takes a price below zero. A sale that would not lower a price
(0.01% of 0.50) leaves `sale_price` null, so "on sale" always means "cheaper than usual".

Everything here is one UPDATE over the products it is given (a queryset, so a sale over a category of a hundred
thousand products is computed by the database, not walked in Python).
"""
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Case, DecimalField, Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, Round
from django.utils import timezone

from commerce.money import decimals

from .models import Product, ProductVariant, Sale

PRICE = DecimalField(max_digits=12, decimal_places=2)


def products_in(product_ids: Iterable[int] | QuerySet | None) -> QuerySet[Product]:
    """The products named by ids, by a queryset of products (or of their ids, kept as a subquery), or all."""
    products = Product.objects.all()
    if product_ids is None:
        return products
    if isinstance(product_ids, QuerySet):
        return products.filter(pk__in=product_ids if product_ids.query.values_select else product_ids.values("pk"))
    return products.filter(pk__in=list(product_ids))


def reached(product_ids, category_ids) -> QuerySet[Product]:
    """The products named, and those listed in (at or below) the categories named: ids or id querysets."""
    listed = Product.listed_in.through.objects.filter(product_id=OuterRef("pk"), category_id__in=category_ids)
    return Product.objects.filter(Q(pk__in=product_ids) | Exists(listed))


def covered_by(sales: QuerySet[Sale]) -> QuerySet[Product]:
    """The products these sales reach."""
    return reached(Sale.products.through.objects.filter(sale__in=sales).values("product_id"),
                   Sale.categories.through.objects.filter(sale__in=sales).values("category_id"))


def _discounted(price) -> Case:
    """The price a sale (the row this is annotated on) makes of `price`."""
    # times 0.01 rather than over 100: SQLite keeps whole prices as integers and would divide them as integers
    percent = Round(price * (Value(Decimal(100)) - F("percent_off")) * Value(Decimal("0.01")),
                    decimals(settings.SHOP_CURRENCY), output_field=PRICE)
    amount = Greatest(price - F("amount_off"), Value(Decimal(0)), output_field=PRICE)
    return Case(When(percent_off__isnull=False, then=percent), default=amount, output_field=PRICE)


def best_sale_price(now: datetime) -> Subquery:
    """For the variant the query is over: the lowest price a sale running at `now` makes of it, if lower."""
    names = Sale.products.through.objects.filter(sale_id=OuterRef("pk"), product_id=OuterRef(OuterRef("product_id")))
    lists = Sale.categories.through.objects.filter(
        sale_id=OuterRef("pk"), category__listed_products=OuterRef(OuterRef("product_id")))
    price = OuterRef("price")
    offers = (Sale.objects.filter(Sale.active_at(now)).filter(Exists(names) | Exists(lists))
              .annotate(offer=_discounted(price)).filter(offer__lt=price)
              .order_by("offer").values("offer")[:1])
    return Subquery(offers, output_field=PRICE)


def refresh_sale_prices(products: QuerySet[Product], now: datetime | None = None) -> None:
    """Store each variant's sale price as the sales running at `now` make it (null when none lowers it)."""
    now = now or timezone.now()
    ProductVariant.objects.filter(product__in=products.values("pk")).update(sale_price=best_sale_price(now))


def refresh_ranges(products: QuerySet[Product]) -> None:
    """Store each product's range of current prices (0 when it has no variants) and, while any variant is on sale,
    the range of regular prices it is compared with."""
    variants = ProductVariant.objects.filter(product=OuterRef("pk")).order_by().values("product")
    current = ProductVariant.current_price_expression()

    def aggregate(function, expression):
        return Subquery(variants.annotate(v=function(expression)).values("v"), output_field=PRICE)

    on_sale = Exists(ProductVariant.objects.filter(product=OuterRef("pk"), sale_price__isnull=False))
    products.update(
        min_price=Coalesce(aggregate(Min, current), Value(Decimal(0)), output_field=PRICE),
        max_price=Coalesce(aggregate(Max, current), Value(Decimal(0)), output_field=PRICE),
        compare_at_min_price=Case(When(on_sale, then=aggregate(Min, "price")), default=None, output_field=PRICE),
        compare_at_max_price=Case(When(on_sale, then=aggregate(Max, "price")), default=None, output_field=PRICE),
    )


def lock_products(products: QuerySet[Product]) -> None:
    """Lock these products FOR NO KEY UPDATE in primary-key order, as a variant write locks its one product, so a
    sale's repricing and a variant's edit never compute one product's prices from each other's old rows. Counted in
    the database: a sale over a large category locks its products without bringing their ids into Python."""
    if not connection.features.has_select_for_update:
        return
    sql, params = products.select_for_update(no_key=True).order_by("pk").values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) AS locked", params)


def reprice(products: QuerySet[Product], now: datetime | None = None) -> None:
    """Sale prices, then the ranges they change: what every write that can move a price calls."""
    refresh_sale_prices(products, now)
    refresh_ranges(products)
