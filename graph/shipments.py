"""Shipments and returns (the contract's "After the sale"): the types an order lists, staff shipping parts of an
order and moving a shipment on, and the customer's returns with staff's decisions (rules: commerce.orders.shipments,
commerce.orders.returns, commerce.payments.returns)."""
from datetime import datetime
from enum import Enum

import strawberry
import strawberry_django
from strawberry.types import Info

from commerce.errors import NotFound
from commerce.orders import models, returns, selectors, shipments
from commerce.orders.shipments import LineQuantity
from commerce.payments import returns as paid_returns
from graph.core.context import viewer
from graph.core.ids import decode_id
from graph.core.payloads import UserError, staff_write, user_errors
from graph.core.types import GuardedNode, ModelField, Money, money, payload_field
from graph.orders import Order, OrderLine, OrderPayload, optional_text, order_for_update

ShipmentStatus = strawberry.enum(Enum("ShipmentStatus", {s: s for s in models.ShipmentStatus.values}))
ReturnStatus = strawberry.enum(Enum("ReturnStatus", {s: s for s in models.ReturnStatus.values}))


@strawberry_django.type(models.ShipmentLine, name="ShipmentLine", field_cls=ModelField)
class ShipmentLine:
    order_line: OrderLine
    quantity: int


@strawberry_django.type(models.Shipment, name="Shipment", field_cls=ModelField)
class Shipment(GuardedNode):
    lines: list[ShipmentLine]
    status: ShipmentStatus
    created_at: datetime
    carrier: str | None = optional_text("carrier")
    tracking_number: str | None = optional_text("tracking_number")
    tracking_url: str | None = optional_text("tracking_url")

    @classmethod
    def visible(cls, info: Info):
        return models.Shipment.objects.filter(order__in=selectors.visible_orders(viewer(info)))


@strawberry_django.type(models.ReturnLine, name="ReturnLine", field_cls=ModelField)
class ReturnLine:
    order_line: OrderLine
    quantity: int


@strawberry_django.type(models.Return, name="Return", field_cls=ModelField)
class Return(GuardedNode):
    status: ReturnStatus
    lines: list[ReturnLine]
    reason: str
    created_at: datetime
    payout_pending: bool = strawberry_django.field(
        description="The refund is recorded but the gateway cannot pay it back (manual payments, MTN MoMo without "
                    "disbursement): staff pay it out by hand. The status stays RECEIVED meanwhile.")

    @strawberry_django.field(only=["decline_reason"], description="Staff's reason, when DECLINED.")
    def decline_reason(self) -> str | None:
        return self.decline_reason or None

    @strawberry_django.field(only=["refund_amount", "order__currency"], select_related=["order"],
                             description="What receiving it refunds; null until it is received.")
    def refund(self) -> Money | None:
        return None if self.refund_amount is None else money(self.refund_amount, self.order.currency)

    @classmethod
    def visible(cls, info: Info):
        return models.Return.objects.filter(order__in=selectors.visible_orders(viewer(info)))


@strawberry.input
class ShipmentLineInput:
    order_line_id: strawberry.ID
    quantity: int


@strawberry.input
class ReturnLineInput:
    order_line_id: strawberry.ID
    quantity: int


@strawberry.type
class ShipmentPayload:
    shipment: Shipment | None = payload_field()
    errors: list[UserError]


@strawberry.type
class ReturnPayload:
    order_return: Return | None = payload_field()
    errors: list[UserError]


def _lines(lines: list[ShipmentLineInput] | list[ReturnLineInput]) -> list[LineQuantity]:
    return [LineQuantity(decode_id(line.order_line_id, OrderLine, argument=f"lines.{i}.orderLineId"), line.quantity)
            for i, line in enumerate(lines)]


def _found(node_type, id: strawberry.ID):
    """The shipment or return `id` names, for staff (every one is theirs to see); NOT_FOUND otherwise."""
    model = node_type.__strawberry_django_definition__.model
    found = model.objects.filter(pk=decode_id(id, node_type, argument="id")).first()
    if found is None:
        raise NotFound(f"No such {model._meta.verbose_name}.", field=["id"])
    return found


@strawberry.type
class ShipmentMutation:
    @strawberry.mutation(description="Staff. Ships `lines` (some units of some lines) in one shipment; the order is "
                                     "PARTIALLY_FULFILLED until every unit has shipped, then FULFILLED.")
    def order_ship(self, info: Info, id: strawberry.ID, lines: list[ShipmentLineInput], carrier: str | None = None,
                   tracking_number: str | None = None, tracking_url: str | None = None) -> OrderPayload:
        return staff_write(info, OrderPayload, "order", lambda: shipments.ship(
            order_for_update(info, id), _lines(lines), actor=viewer(info), carrier=carrier or "",
            tracking_number=tracking_number or "", tracking_url=tracking_url or ""))

    @strawberry.mutation(description="Staff (a carrier's integration posts to /webhooks/shipments/). Forward only.")
    def shipment_update(self, info: Info, id: strawberry.ID, status: ShipmentStatus) -> ShipmentPayload:
        return staff_write(info, ShipmentPayload, "shipment",
                           lambda: shipments.set_status(_found(Shipment, id), status.value, actor=viewer(info)))

    @strawberry.mutation(description="The order's owner or token holder: units that shipped and are not returned "
                                     "yet, within the return window.")
    def return_request(self, info: Info, order_id: strawberry.ID, lines: list[ReturnLineInput], reason: str,
                       token: str | None = None) -> ReturnPayload:
        with user_errors(ReturnPayload) as result:
            returns.refuse_flood(info.context.client_ip)
            order = selectors.order_for_update(viewer(info), decode_id(order_id, Order, argument="orderId"),
                                               token=token, field="orderId")
            result.order_return = returns.request_return(order, _lines(lines), reason, actor=viewer(info))
        return result.payload

    @strawberry.mutation(description="Staff.")
    def return_approve(self, info: Info, id: strawberry.ID) -> ReturnPayload:
        return staff_write(info, ReturnPayload, "order_return",
                           lambda: returns.approve(_found(Return, id), actor=viewer(info)))

    @strawberry.mutation(description="Staff.")
    def return_decline(self, info: Info, id: strawberry.ID, reason: str) -> ReturnPayload:
        return staff_write(info, ReturnPayload, "order_return",
                           lambda: returns.decline(_found(Return, id), reason, actor=viewer(info)))

    @strawberry.mutation(description="Staff. The parcel is back: refunds its share through the gateway that took "
                                     "the money (again, if that failed last time) and restocks if asked.")
    def return_receive(self, info: Info, id: strawberry.ID, restock: bool | None = True) -> ReturnPayload:
        return staff_write(info, ReturnPayload, "order_return", lambda: paid_returns.receive(
            _found(Return, id), restock=restock is not False, actor=viewer(info)))
