"""What commerce needs from a payment provider, whichever it is, so a new provider is one module here.

Amounts cross this boundary in the currency's minor units (commerce.money), and a provider's events cross it
translated into our words (ProviderEvent, EventKind): services never read a provider's own names. Errors the
provider or the network cause are ProviderError, which services turn into PAYMENT_PROVIDER_ERROR after
committing what they did, so nothing is lost when a provider is down.
"""
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


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


class EventKind(enum.StrEnum):
    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED"  # `received` arrived for `intent_id`
    PAYMENT_FAILED = "PAYMENT_FAILED"  # the attempt failed (`failure` says why); the customer may try again
    REFUNDED = "REFUNDED"  # `refunded` is all that was refunded of `intent_id` so far
    OTHER = "OTHER"  # recorded, not acted on


@dataclass(frozen=True)
class ProviderEvent:
    """A provider's event in our words; `type` and `payload` are the provider's own, kept for the record."""

    id: str  # the provider's event id: an event is recorded once
    type: str
    kind: EventKind = EventKind.OTHER
    intent_id: str = ""
    currency: str = ""  # upper case
    received: int | None = None  # minor units
    refunded: int | None = None  # minor units
    failure: str = ""
    payload: dict = field(default_factory=dict)


class PaymentGateway(Protocol):
    name: str  # as stored on Payment.provider and WebhookEvent.provider

    @classmethod
    def is_configured(cls) -> bool: ...  # its settings are there (the default gateway is the first that is)

    def open_payment(self, *, amount: int, currency: str, metadata: dict, idempotency_key: str) -> Intent: ...

    def cancel_payment(self, intent_id: str) -> str: ...  # the intent's status afterwards

    def refund(self, *, intent_id: str, amount: int, idempotency_key: str) -> str: ...  # the refund's id

    # Verified as the provider signs its webhooks (InvalidWebhook otherwise), and translated.
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent: ...

    def read_event(self, payload: dict) -> ProviderEvent: ...  # a recorded event's payload, translated again


# By name; the first configured one is the shop's default.
GATEWAYS = {
    "stripe": "commerce.payments.gateways.stripe.StripeGateway",
    "dummy": "commerce.payments.gateways.dummy.DummyGateway",
}


def get_gateway(name: str | None = None) -> PaymentGateway:
    """The gateway called `name` (the one that took a payment: its cancels and refunds go back there), or the
    shop's default: Stripe when STRIPE_SECRET_KEY is set; the labelled dummy only in DEBUG (the embedded demo)."""
    if name is None:
        name = next((each for each, path in GATEWAYS.items() if import_string(path).is_configured()), None)
        if name is None:
            raise ImproperlyConfigured("STRIPE_SECRET_KEY is required when DEBUG is off (the dummy gateway is for "
                                       "demos).")
    if name not in GATEWAYS:
        raise ImproperlyConfigured(f"There is no payment gateway named {name!r}.")
    return import_string(GATEWAYS[name])()
