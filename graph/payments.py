"""The payments part of the contract: the gateways a shop offers, checkout and payment attempts, the client's
proof, staff marking an order paid by hand, and the Payment type.

A Payment is reached through its order (by token or ID) or by `node(id)`, which only finds the payments of orders
the caller may see by ID: so `clientSecret` is shown only to the order's owner, its token holder and staff.
"""
from enum import Enum
from typing import Annotated

import strawberry
import strawberry_django
from strawberry.scalars import JSON
from strawberry.types import Info

from commerce.payments import gateways
from commerce.payments import models as payment_models
from commerce.payments import services as payments
from commerce.payments.checkout import complete_checkout
from commerce.payments.selectors import visible_payments
from graph.core.context import require_staff, viewer
from graph.core.payloads import UserError, user_errors
from graph.core.types import GuardedNode, ModelField, Money, money
from graph.orders import Order, OrderPayload, order_for_update

PaymentIntentStatus = strawberry.enum(Enum("PaymentIntentStatus", {s: s for s in payment_models.IntentStatus.values}))
PaymentActionType = strawberry.enum(Enum("PaymentActionType", {s: s for s in payment_models.ActionType.values}))


@strawberry.type(description="What the buyer's client does next to pay: see the README's gateway table.")
class PaymentAction:
    type: PaymentActionType
    url: str | None = None
    reference: str | None = None
    data: JSON | None = None


@strawberry_django.type(payment_models.Payment, name="Payment", field_cls=ModelField)
class Payment(GuardedNode):
    status: PaymentIntentStatus

    @strawberry_django.field(only=["provider"], description="The id of the gateway it goes through.")
    def gateway(self) -> str:
        return gateways.LEGACY_IDS.get(self.provider, self.provider)

    @strawberry_django.field(only=["client_secret"], description="For the provider's client SDK to confirm it "
                                                                 "(Stripe.js); only its order's owner, token holder "
                                                                 "and staff reach it.")
    def client_secret(self) -> str | None:
        return self.client_secret or None

    @strawberry_django.field(only=["amount", "currency"])
    def amount(self) -> Money:
        return money(self.amount, self.currency)

    @strawberry_django.field(only=["action_type", "action_url", "action_reference", "action_data"])
    def action(self) -> PaymentAction | None:
        return PaymentAction(type=PaymentActionType(self.action_type), url=self.action_url or None,
                             reference=self.action_reference or None, data=self.action_data or None)

    @classmethod
    def visible(cls, info: Info):
        return visible_payments(viewer(info))


@strawberry.type
class GatewayConfigItem:
    key: str
    value: str


@strawberry.type(description="A payment gateway the shop offers, with its public configuration only.")
class PaymentGateway:
    id: str
    name: str
    currencies: list[str] = strawberry.field(description="The currencies it takes; empty: any.")
    config: list[GatewayConfigItem] = strawberry.field(description="Public values: a publishable key, a client id.")


def payment_gateways() -> list[PaymentGateway]:
    """The gateways a buyer may choose, the default first."""
    offered = [gateways.gateway_class(each) for each in gateways.enabled_ids()]
    return [PaymentGateway(id=cls.id, name=cls.name, currencies=list(cls.currencies),
                           config=[GatewayConfigItem(key=k, value=v) for k, v in cls.public_config().items()])
            for cls in offered]


@strawberry.type
class CheckoutCompletePayload:
    order: Order | None = None
    payment: Payment | None = None
    errors: list[UserError]


Gateway = Annotated[str | None, strawberry.argument(description="A gateway's id from `shop.paymentGateways`; the "
                                                                 "shop's default if null.")]


@strawberry.type
class PaymentMutation:
    @strawberry.mutation(description="Places an UNPAID order from the cart and opens its payment through `gateway`. "
                                     "Honours an `Idempotency-Key` header.")
    def checkout_complete(
        self, info: Info, cart_token: str, gateway: Gateway = None,
        data: Annotated[JSON | None, strawberry.argument(description="What the gateway needs from the buyer up "
                                                                     "front, e.g. {\"phone\": ...}.")] = None,
    ) -> CheckoutCompletePayload:
        with user_errors(CheckoutCompletePayload) as result:
            placed = complete_checkout(viewer(info), cart_token, idempotency_key=info.context.idempotency_key,
                                       gateway=gateway, data=data)
            result.order, result.payment = placed.order, placed.payment
            if placed.payment_error:
                raise placed.payment_error  # reported beside the order, which stands
        return result.payload

    @strawberry.mutation(description="A new payment attempt for an UNPAID order: its owner, or whoever holds its token.")
    def order_payment_create(
        self, info: Info, id: strawberry.ID, token: str | None = None,
        gateway: Gateway = None, data: JSON | None = None,
    ) -> CheckoutCompletePayload:
        with user_errors(CheckoutCompletePayload) as result:
            result.order = order = order_for_update(info, id, token=token)
            result.payment = payments.open_payment(order, gateway=gateway, data=data)
        return result.payload

    @strawberry.mutation(description="The buyer's client has paid: `data` is the gateway's proof (e.g. Razorpay's "
                                     "signature), checked with the provider before the order changes.")
    def order_payment_confirm(self, info: Info, id: strawberry.ID, token: str | None = None, *,
                              data: JSON) -> CheckoutCompletePayload:
        with user_errors(CheckoutCompletePayload) as result:
            result.order = order = order_for_update(info, id, token=token)
            result.payment = payments.confirm_payment(order, data)
        return result.payload

    @strawberry.mutation(description="Staff. The money came outside any provider (cash on delivery, a bank "
                                     "transfer): the `manual` gateway's payment succeeds for the order's total.")
    def order_mark_paid(self, info: Info, id: strawberry.ID, reference: str | None = None) -> OrderPayload:
        staff = require_staff(info)
        with user_errors(OrderPayload) as result:
            result.order = payments.mark_paid(order_for_update(info, id), reference=reference or "", actor=staff)
        return result.payload

