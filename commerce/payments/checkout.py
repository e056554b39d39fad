"""Checkout as a customer meets it: the order placed at most once per `Idempotency-Key`, then its payment opened.

It lives in payments because it opens a payment; orders, below, only places the order. The gateway is chosen
first, so a shop with none (or a gateway it does not offer) refuses before anything is written. The payment is
opened after the order's transaction has committed, so no provider call is made while holding stock locks, and a
provider that fails leaves the order standing, UNPAID, for `orderPaymentCreate` to try again.
"""
from dataclasses import dataclass

from django.conf import settings

from commerce.carts.selectors import cart_for_update
from commerce.errors import DomainError
from commerce.orders import checkout, idempotency
from commerce.orders.models import Order
from commerce.payments.models import Payment
from commerce.payments.services import choose_gateway, payment_for_checkout


@dataclass(frozen=True)
class CheckoutOutcome:
    order: Order
    payment: Payment | None = None
    payment_error: DomainError | None = None  # why no payment could be opened; the order stands all the same


def complete_checkout(user, cart_token: str, *, idempotency_key: str | None, gateway: str | None = None,
                      data: dict | None = None) -> CheckoutOutcome:
    """Place the order from the cart `user` may use by `cart_token` (a replay answers as the first request did,
    refusals included), then open its payment through `gateway` (the shop's default if None) with the buyer's
    `data`, or hand back the one a replayed checkout already opened."""
    gateway = choose_gateway(gateway, settings.SHOP_CURRENCY)
    order = idempotency.once(
        "checkoutComplete", idempotency_key, cart_token,
        lambda: checkout.complete(cart_for_update(user, cart_token), user),
        caller=idempotency.caller_of(user),
    )
    try:
        return CheckoutOutcome(order, payment_for_checkout(order, gateway=gateway, data=data))
    except DomainError as error:
        return CheckoutOutcome(order, payment_error=error)
