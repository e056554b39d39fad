"""Sales in the contract: staff list, create, change and end them; the storefront sees only their effect on prices
(`ProductVariant.price`/`compareAtPrice`, `PriceRange.compareAt*`, `Product.onSale`), never the sales themselves.
"""
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import strawberry
import strawberry_django
from django.utils import timezone
from strawberry.types import Info
from strawberry_django.relay import DjangoListConnection as Connection

from commerce.catalog import models, sales
from graph.catalog import Category, Product
from graph.core.context import require_staff, viewer_is_staff
from graph.core.ids import decode_id
from graph.core.payloads import UserError, given, staff_write
from graph.core.types import GuardedNode, ModelField, Money, connection, money, payload_field

UNSET = strawberry.UNSET


@strawberry_django.type(models.Sale, name="Sale", field_cls=ModelField)
class Sale(GuardedNode):
    name: str
    percent_off: Decimal | None
    starts_at: datetime | None
    ends_at: datetime | None

    @strawberry_django.field(only=["amount_off"])
    def amount_off(self) -> Money | None:
        return None if self.amount_off is None else money(self.amount_off)

    @strawberry_django.field(only=["starts_at", "ends_at"], description="Running now: started (or no start) and "
                                                                         "not ended (or no end).")
    def is_active(self) -> bool:
        return self.is_active_at(timezone.now())

    @classmethod
    def visible(cls, info: Info):
        """Staff only, by ID as in `sales`: a sale being prepared is not for customers to find."""
        found = models.Sale.objects.all()
        return found if viewer_is_staff(info) else found.none()


def _aware(moment: datetime | None) -> datetime | None:
    """A DateTime without an offset is read in the shop's time zone."""
    return moment if moment is None or timezone.is_aware(moment) else timezone.make_aware(moment)


def _ids(ids: list[strawberry.ID] | None, node_type, argument: str) -> list[int] | None:
    return None if ids is None else [decode_id(i, node_type, argument=argument) for i in ids]


CONVERT = {
    "product_ids": lambda ids: _ids(ids, Product, "input.productIds") or [],
    "category_ids": lambda ids: _ids(ids, Category, "input.categoryIds") or [],
    "starts_at": _aware,
    "ends_at": _aware,
}


@strawberry.input(description="Exactly one of percentOff and amountOff. Categories include their subcategories; "
                              "no start: from now, no end: until it is ended.")
class SaleCreateInput:
    name: str
    percent_off: Decimal | None = strawberry.field(default=None, description="More than 0, at most 100.")
    amount_off: Decimal | None = strawberry.field(
        default=None, description="In the shop's currency; at most the price of any variant the sale reaches.")
    product_ids: list[strawberry.ID] | None = None
    category_ids: list[strawberry.ID] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@strawberry.input(description="Absent fields stay as they are; giving percentOff makes an amount-off sale a "
                              "percentage (and the other way round); lists given replace the sale's lists.")
class SaleUpdateInput:
    name: str | None = UNSET
    percent_off: Decimal | None = UNSET
    amount_off: Decimal | None = UNSET
    product_ids: list[strawberry.ID] | None = UNSET
    category_ids: list[strawberry.ID] | None = UNSET
    starts_at: datetime | None = UNSET
    ends_at: datetime | None = UNSET


@strawberry.type
class SalePayload:
    sale: Sale | None = payload_field()
    errors: list[UserError]


@strawberry.type
class SaleQuery:
    @connection(Connection[Sale], description="Staff only; newest first. `active`: running now, or not.")
    def sales(self, info: Info, active: bool | None = None) -> Iterable[Sale]:
        require_staff(info)
        found = models.Sale.objects.all()
        if active is not None:
            running = models.Sale.active_at(timezone.now())
            found = found.filter(running) if active else found.exclude(running)
        return found


@strawberry.type
class SaleMutation:
    @strawberry.mutation(description="Staff. Prices change at once while it runs, and at its start and end.")
    def sale_create(self, info: Info, input: SaleCreateInput) -> SalePayload:
        return staff_write(info, SalePayload, "sale", lambda: sales.create_sale(**given(input, **CONVERT)))

    @strawberry.mutation(description="Staff. Absent fields stay as they are.")
    def sale_update(self, info: Info, id: strawberry.ID, input: SaleUpdateInput) -> SalePayload:
        return staff_write(info, SalePayload, "sale", lambda: sales.update_sale(
            decode_id(id, Sale, argument="id"), given(input, **CONVERT)))

    @strawberry.mutation(description="Staff. Its products go back to the prices left without it.")
    def sale_delete(self, info: Info, id: strawberry.ID) -> SalePayload:
        return staff_write(info, SalePayload, "sale", lambda: sales.delete_sale(decode_id(id, Sale, argument="id")))
