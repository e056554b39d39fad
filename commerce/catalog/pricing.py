"""What a variant costs now: its regular price lowered by the best running sale, stored so reads stay a column.

Each variant's `sale_price` is the lowest price any sale running at `now` makes of it (a sale covers a variant when
it names its product, or a category the product is listed in: listings hold every ancestor, so a category's sale
reaches its whole subtree). Sales never stack: the buyer gets the single best one. A percentage is rounded half up
to the currency's minor unit; an amount off never takes a price below zero. A sale that would not lower a price
(0.01% of 0.50) leaves `sale_price` null, so "on sale" always means "cheaper than usual".

Each refresh is one UPDATE per table over a batch of products, so a sale over a category of a hundred thousand
products is computed by the database in grouped passes, never walked row by row in Python nor evaluated as a
subquery per row. They are written in SQL because Django's update() cannot join: it would
compute each column in its own correlated subquery per row, which took seconds per ten thousand products.
"""
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from commerce.money import decimals

from .models import Product, ProductVariant, Sale

REPRICE_BATCH = 2000  # products per statement: a few thousand variant rows, well under a second each


def products_in(product_ids: Iterable[int] | QuerySet | None) -> QuerySet[Product] | list[int]:
    """What `reprice` takes: a list of ids as given, a queryset of products (or of their ids), or all products."""
    if product_ids is None:
        return Product.objects.all()
    if isinstance(product_ids, QuerySet):
        return product_ids if product_ids.model is Product else Product.objects.filter(pk__in=product_ids)
    return list(product_ids)


def reached(product_ids, category_ids) -> QuerySet[Product]:
    """The products named, and those listed in (at or below) the categories named: ids or id querysets."""
    listed = Product.listed_in.through.objects.filter(product_id=OuterRef("pk"), category_id__in=category_ids)
    return Product.objects.filter(Q(pk__in=product_ids) | Exists(listed))


def covered_by(sales: QuerySet[Sale]) -> QuerySet[Product]:
    """The products these sales reach."""
    return reached(Sale.products.through.objects.filter(sale__in=sales).values("product_id"),
                   Sale.categories.through.objects.filter(sale__in=sales).values("category_id"))


def _table(model_or_field) -> str:
    return connection.ops.quote_name(model_or_field._meta.db_table)


def _scope_sql(products: QuerySet[Product]) -> tuple[str, tuple] | None:
    """The SELECT of the products' ids, or None when it can match nothing."""
    try:
        sql, params = products.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def refresh_sale_prices(products: QuerySet[Product], now: datetime | None = None) -> None:
    """Store each variant's sale price as the sales running at `now` make it (null when none lowers it).

    One UPDATE ... FROM over a grouped join (the running sales' reach, by name or by listing, met with the variants
    in scope), which both PostgreSQL and SQLite (3.33+) run; rows whose price does not change are not written. The
    percentage is taken times 0.01, not over 100: SQLite keeps whole prices as integers and divides them as such."""
    scope = _scope_sql(products)
    if scope is None:
        return
    scope_sql, scope_params = scope
    when = connection.ops.adapt_datetimefield_value(now or timezone.now())
    running = "(s.starts_at IS NULL OR s.starts_at <= %s) AND (s.ends_at IS NULL OR s.ends_at > %s)"
    places = int(decimals(settings.SHOP_CURRENCY))
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    variant, sale = _table(ProductVariant), _table(Sale)
    named, in_category = _table(Sale.products.through), _table(Sale.categories.through)
    listed = _table(Product.listed_in.through)
    offer = f"""CASE WHEN reach.percent_off IS NOT NULL THEN ROUND(v.price * (100 - reach.percent_off) * 0.01, {places})
                     WHEN reach.amount_off >= v.price THEN 0
                     ELSE v.price - reach.amount_off END"""  # NULL where no running sale reaches the variant
    sql = f"""
        UPDATE {variant} SET sale_price = best.offer
        FROM (
            SELECT id, CASE WHEN offer < price THEN offer END AS offer FROM (
                SELECT v.id AS id, v.price AS price, MIN({offer}) AS offer
                FROM {variant} v
                LEFT JOIN (
                    SELECT sp.product_id, s.percent_off, s.amount_off
                    FROM {named} sp JOIN {sale} s ON s.id = sp.sale_id
                    WHERE {running} AND sp.product_id IN ({scope_sql})
                    UNION ALL
                    SELECT l.product_id, s.percent_off, s.amount_off
                    FROM {in_category} sc JOIN {sale} s ON s.id = sc.sale_id
                    JOIN {listed} l ON l.category_id = sc.category_id
                    WHERE {running} AND l.product_id IN ({scope_sql})
                ) reach ON reach.product_id = v.product_id
                WHERE v.product_id IN ({scope_sql})
                GROUP BY v.id, v.price
            ) offers
        ) best
        WHERE {variant}.id = best.id AND {variant}.sale_price {distinct} best.offer"""
    params = (when, when, *scope_params, when, when, *scope_params, *scope_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def refresh_ranges(products: QuerySet[Product]) -> None:
    """Store each product's range of current prices (0 when it has no variants still sold: archived ones are only
    their orders') and, while any variant is on sale, the range of regular prices it is compared with: one grouped UPDATE ... FROM, unchanged rows left unwritten."""
    scope = _scope_sql(products)
    if scope is None:
        return
    scope_sql, scope_params = scope
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    product, variant = _table(Product), _table(ProductVariant)
    columns = ("min_price", "max_price", "compare_at_min_price", "compare_at_max_price")
    changed = " OR ".join(f"{product}.{c} {distinct} r.{c}" for c in columns)
    sql = f"""
        UPDATE {product} SET min_price = r.min_price, max_price = r.max_price,
            compare_at_min_price = r.compare_at_min_price, compare_at_max_price = r.compare_at_max_price
        FROM (
            SELECT p.id AS id,
                COALESCE(MIN(COALESCE(v.sale_price, v.price)), 0) AS min_price,
                COALESCE(MAX(COALESCE(v.sale_price, v.price)), 0) AS max_price,
                CASE WHEN COUNT(v.sale_price) > 0 THEN MIN(v.price) END AS compare_at_min_price,
                CASE WHEN COUNT(v.sale_price) > 0 THEN MAX(v.price) END AS compare_at_max_price
            FROM {product} p LEFT JOIN {variant} v ON v.product_id = p.id AND NOT v.is_archived
            WHERE p.id IN ({scope_sql})
            GROUP BY p.id
        ) r
        WHERE {product}.id = r.id AND ({changed})"""
    with connection.cursor() as cursor:
        cursor.execute(sql, scope_params)


def lock_products(products: QuerySet[Product]) -> list[int]:
    """Lock these products FOR NO KEY UPDATE in primary-key order, as a variant write locks its one product, so a
    sale's repricing and a variant's edit never compute one product's prices from each other's old rows; their ids,
    for `reprice`."""
    rows = products.order_by("pk").values_list("pk", flat=True)
    if connection.features.has_select_for_update:
        rows = rows.select_for_update(no_key=True)
    return list(rows)


def reprice(products: QuerySet[Product] | list[int], now: datetime | None = None) -> None:
    """Sale prices, then the ranges they change: what every write that can move a price calls.

    In batches of REPRICE_BATCH products, so that no one statement of a sale over a large category comes near the
    web processes' statement_timeout (README, Timeouts); all in the caller's transaction, so readers see every
    product repriced or none."""
    now = now or timezone.now()
    ids = products if isinstance(products, list) else list(products.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        for start in range(0, len(ids), REPRICE_BATCH):
            batch = Product.objects.filter(pk__in=ids[start:start + REPRICE_BATCH])
            refresh_sale_prices(batch, now)
            refresh_ranges(batch)
