"""What commerce needs from a payment provider, whichever it is.

Stripe is the one implemented (stripe_gateway.py); Paystack, Flutterwave, Razorpay or PayPal would be another
class with these four methods. Amounts cross this boundary in the currency's minor units, as providers count.
Errors the provider or the network cause are ProviderError, which services turn into PAYMENT_PROVIDER_ERROR
after committing what they did, so nothing is lost when a provider is down.
"""
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class ProviderError(Exception):
    """The provider could not be reached or refused the call.

    `definite` is False when the call may have taken effect at the provider even so (a timeout, a dropped
    connection): a refund in that state is retried with the same idempotency key, never made afresh.
    """

    def __init__(self, message: str, *, definite: bool = True):
        super().__init__(message)
        self.definite = definite


class InvalidWebhook(Exception):
    """A webhook whose signature is missing, wrong or too old, or whose body is not an event."""


@dataclass(frozen=True)
class Intent:
    id: str
    client_secret: str
    status: str  # one of IntentStatus
    amount: int  # minor units
    currency: str


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str
    object: dict = field(default_factory=dict)  # the event's data.object, as the provider sent it
    payload: dict = field(default_factory=dict)


class PaymentGateway(Protocol):
    name: str

    def open_payment(self, *, amount: int, currency: str, metadata: dict, idempotency_key: str) -> Intent: ...

    def cancel_payment(self, intent_id: str) -> str: ...  # the intent's status afterwards

    def refund(self, *, intent_id: str, amount: int, idempotency_key: str) -> str: ...  # the refund's id

    def parse_webhook(self, body: bytes, signature: str | None) -> ProviderEvent: ...


def get_gateway() -> PaymentGateway:
    """Stripe when STRIPE_SECRET_KEY is set; the labelled dummy only in DEBUG (the embedded demo)."""
    if settings.STRIPE_SECRET_KEY:
        from commerce.payments.stripe_gateway import StripeGateway

        return StripeGateway()
    if settings.DEBUG:
        from commerce.payments.dummy import DummyGateway

        return DummyGateway()
    raise ImproperlyConfigured("STRIPE_SECRET_KEY is required when DEBUG is off (the dummy gateway is for demos).")
