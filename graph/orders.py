"""The orders part of the contract: orders by ID or token, staff's list, and the status mutations (checkout and
payments are graph.payments')."""
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
import strawberry_django
from strawberry.types import Info
from strawberry_django.relay import DjangoListConnection as Connection

from commerce.orders import models, selectors, services
from commerce.payments import services as payments
from graph.accounts import Address
from graph.catalog import ProductVariant
from graph.core.context import refuse_over_get, require_staff, viewer, viewer_is_staff
from graph.core.errors import BadUserInput
from graph.core.ids import decode_id
from graph.core.payloads import UserError, user_errors
from graph.core.types import GuardedNode, ModelField, Money, connection, local_id_field, money

OrderStatus = strawberry.enum(Enum("OrderStatus", {s: s for s in models.OrderStatus.values}))
PaymentStatus = strawberry.enum(Enum("PaymentStatus", {s: s for s in models.PaymentStatus.values}))
OrderEventType = strawberry.enum(Enum("OrderEventType", {s: s for s in models.OrderEventType.values}))
Payment = Annotated["Payment", strawberry.lazy("graph.payments")]
Shipment = Annotated["Shipment", strawberry.lazy("graph.shipments")]
Return = Annotated["Return", strawberry.lazy("graph.shipments")]
Invoice = Annotated["Invoice", strawberry.lazy("graph.invoices")]


@strawberry_django.type(models.OrderLine, name="OrderLine", field_cls=ModelField)
class OrderLine:
    product_name: str
    variant_name: str
    sku: str
    quantity: int
    variant: ProductVariant | None
    id: strawberry.ID = local_id_field("OrderLine")

    @strawberry_django.field(only=["unit_price", "order__currency"], select_related=["order"])
    def unit_price(self) -> Money:
        return money(self.unit_price, self.order.currency)

    @strawberry_django.field(only=["undiscounted_unit_price", "order__currency"], select_related=["order"],
                             description="The regular price when ordered; above `unitPrice` when a sale lowered it.")
    def undiscounted_unit_price(self) -> Money:
        return money(self.undiscounted_unit_price, self.order.currency)

    @strawberry_django.field(only=["total", "order__currency"], select_related=["order"])
    def total(self) -> Money:
        return money(self.total, self.order.currency)


@strawberry_django.type(models.OrderEvent, name="OrderEvent", field_cls=ModelField)
class OrderEvent:
    type: OrderEventType
    status: OrderStatus
    payment_status: PaymentStatus
    message: str
    created_at: datetime
    id: strawberry.ID = local_id_field("OrderEvent")

    @strawberry_django.field(only=["previous_status"])
    def previous_status(self) -> OrderStatus | None:
        return OrderStatus(self.previous_status) if self.previous_status else None


def _money_field(name: str):
    @strawberry_django.field(only=[name, "currency"])
    def resolve(self) -> Money:
        return money(getattr(self, name), self.currency)

    return resolve


def optional_text(name: str, description: str | None = None):
    @strawberry_django.field(only=[name], description=description)
    def resolve(self) -> str | None:
        return getattr(self, name) or None

    return resolve


@strawberry_django.type(models.Order, name="Order", field_cls=ModelField)
class Order(GuardedNode):
    token: str
    status: OrderStatus
    payment_status: PaymentStatus
    email: str
    lines: list[OrderLine]
    shipping_address: Address | None
    billing_address: Address | None
    events: list[OrderEvent]
    created_at: datetime
    subtotal: Money = _money_field("subtotal")
    discount: Money = _money_field("discount")
    shipping: Money = _money_field("shipping")
    tax: Money = _money_field("tax")
    total: Money = _money_field("total")
    refunded_total: Money = _money_field("refunded_total")
    carrier: str | None = optional_text("carrier", "The latest shipment's.")
    tracking_number: str | None = optional_text("tracking_number", "The latest shipment's.")
    tracking_url: str | None = optional_text("tracking_url", "The latest shipment's.")

    @strawberry_django.field(only=["id"], description="Sequential, from the database.")
    def number(self) -> str:
        return self.number

    @strawberry_django.field(prefetch_related=["payments"], description="The current payment attempt, if any.")
    def payment(self) -> Payment | None:
        return next(iter(self.payments.all()), None)

    payments: list[Payment] = strawberry_django.field(description="Every payment attempt, newest first.")
    shipments: list[Shipment] = strawberry_django.field(description="Oldest first.")
    returns: list[Return] = strawberry_django.field(description="Oldest first.")
    invoices: list[Invoice] = strawberry_django.field(description="Its invoice and credit notes, oldest first.")

    @classmethod
    def visible(cls, info: Info):
        return selectors.visible_orders(viewer(info))


@strawberry.input
class OrderFilter:
    status: list[OrderStatus] | None = None
    payment_status: list[PaymentStatus] | None = None
    search: str | None = strawberry.field(default=None, description="The order number or part of the email.")
    created_from: datetime | None = None
    created_to: datetime | None = None

    def to_query(self) -> selectors.OrderQuery:
        return selectors.OrderQuery(
            statuses=[s.value for s in self.status or []], payment_statuses=[s.value for s in self.payment_status or []],
            search=self.search, created_from=self.created_from, created_to=self.created_to,
        )


@strawberry.type
class OrderPayload:
    order: Order | None = None
    errors: list[UserError]


@strawberry.type
class OrderQuery:
    @strawberry_django.field(description="By ID for the owner and staff; by token (and ID) for whoever holds it, "
                                         "the token sent with POST.")
    def order(self, info: Info, id: strawberry.ID | None = None, token: str | None = None) -> Order | None:
        if id is None and token is None:
            raise BadUserInput("Give 'id', 'token', or both.")
        if token is not None:
            refuse_over_get(info, "token")
        if id is None:
            return selectors.orders_by_token(token)
        return selectors.orders_reached(viewer(info), decode_id(id, Order, argument="id"), token=token)

    @connection(Connection[Order], description="Staff only; newest first.")
    def orders(self, info: Info, filter: OrderFilter | None = None) -> list[Order]:
        require_staff(info)
        queryset = models.Order.objects.all()
        return selectors.filter_orders(queryset, filter.to_query()) if filter else queryset


def order_for_update(info: Info, id: strawberry.ID, *, token: str | None = None):
    """The order `id` names, if the caller may act on it: its owner, staff, or the holder of its `token`."""
    return selectors.order_for_update(viewer(info), decode_id(id, Order, argument="id"), token=token)


@strawberry.type
class OrderMutation:
    @strawberry.mutation(description="The owner while UNPAID; staff until part of it ships (a PAID order is refunded first).")
    def order_cancel(self, info: Info, id: strawberry.ID) -> OrderPayload:
        with user_errors(OrderPayload) as result:
            result.order = payments.cancel_order(order_for_update(info, id), actor=viewer(info),
                                                 as_staff=viewer_is_staff(info))
        return result.payload

    @strawberry.mutation(description="Staff. Refunds `amount`, or all that remains, through the payment provider.")
    def order_refund(self, info: Info, id: strawberry.ID, amount: Decimal | None = None) -> OrderPayload:
        staff = require_staff(info)
        with user_errors(OrderPayload) as result:
            result.order = payments.refund(order_for_update(info, id), amount=amount, actor=staff)
        return result.payload

    @strawberry.mutation(description="Staff. Ships every unit not shipped yet, in one shipment.")
    def order_fulfill(
        self, info: Info, id: strawberry.ID, carrier: str | None = None, tracking_number: str | None = None,
        tracking_url: Annotated[str | None, strawberry.argument(description="A link to the carrier's tracking page.")] = None,
    ) -> OrderPayload:
        staff = require_staff(info)
        with user_errors(OrderPayload) as result:
            result.order = services.fulfill(order_for_update(info, id), actor=staff, carrier=carrier or "",
                                            tracking_number=tracking_number or "", tracking_url=tracking_url or "")
        return result.payload

    @strawberry.mutation(description="Staff. Every shipment of a FULFILLED order delivered.")
    def order_mark_delivered(self, info: Info, id: strawberry.ID) -> OrderPayload:
        staff = require_staff(info)
        with user_errors(OrderPayload) as result:
            result.order = services.mark_delivered(order_for_update(info, id), actor=staff)
        return result.payload
