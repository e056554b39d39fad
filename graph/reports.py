"""`salesReport` (staff): the shop's figures over a window, computed by the database (commerce.orders.reports)."""
from datetime import datetime
from typing import Annotated

import strawberry
from django.conf import settings
from django.utils import timezone
from strawberry.types import Info

from commerce.orders import reports
from graph.catalog import Product
from graph.core.context import require_staff
from graph.core.errors import BadUserInput
from graph.core.types import Money, RowsByPk, money


def _sold_product(root: "ProductSales", info: Info) -> Product | None:
    return root._products.get(root._product_id, info)


@strawberry.type
class ProductSales:
    product: Product | None = strawberry.field(resolver=_sold_product, description="Null once the product is deleted.")
    product_name: str
    quantity: int
    revenue: Money = strawberry.field(description="Its lines' totals, before the order's discount, shipping and tax.")
    _product_id: strawberry.Private[int | None]
    _products: strawberry.Private[RowsByPk]


@strawberry.type(description="Orders placed in [from, to) and paid. `revenue` is what was kept (after refunds); "
                             "`orders` and `averageOrderValue` leave cancelled orders out, and count an order "
                             "refunded but not cancelled (its refund comes off `revenue`), as Shopify does.")
class SalesReport:
    revenue: Money
    orders: int
    average_order_value: Money
    refunded: Money
    _start: strawberry.Private[datetime]
    _end: strawberry.Private[datetime]

    @strawberry.field(description="By units sold, then revenue; `first` is at most the page size limit.")
    def top_products(self, first: int | None = 10) -> list[ProductSales]:
        first = 10 if first is None else first
        if not 0 <= first <= settings.GRAPHQL_MAX_PAGE_SIZE:
            raise BadUserInput(f"'first' must be from 0 to {settings.GRAPHQL_MAX_PAGE_SIZE}.", argument="first")
        rows = reports.top_products(self._start, self._end, limit=first)
        products = RowsByPk(Product, [row.product_id for row in rows])
        return [ProductSales(product_name=row.product_name, quantity=row.quantity, revenue=money(row.revenue),
                             _product_id=row.product_id, _products=products) for row in rows]


def _aware(moment: datetime) -> datetime:
    """A DateTime without an offset is read in the shop's time zone."""
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


@strawberry.type
class ReportQuery:
    @strawberry.field(description="Staff. Orders placed from `from` (included) to `to` (excluded).")
    def sales_report(self, info: Info, from_: Annotated[datetime, strawberry.argument(name="from")],
                     to: datetime) -> SalesReport:
        require_staff(info)
        start, end = _aware(from_), _aware(to)
        try:
            reports.check_window(start, end)
        except reports.ReportWindowError as refused:
            limit = {} if refused.maximum is None else {"maximum": refused.maximum}
            raise BadUserInput(refused.message, argument=refused.field[0], **limit) from None
        figures = reports.totals(start, end)
        return SalesReport(revenue=money(figures.revenue), orders=figures.orders,
                           average_order_value=money(figures.average_order_value), refunded=money(figures.refunded),
                           _start=start, _end=end)
