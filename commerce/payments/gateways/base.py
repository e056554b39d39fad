"""What commerce needs from a payment provider, whichever it is, so a new provider is one module here.

How to add a gateway
--------------------
1. A module `commerce/payments/gateways/<id>.py` with a subclass of `PaymentGateway` below: its `id` (as
   `gateways.GATEWAYS` lists it, already there for the planned ones), `name`, `currencies` (empty: any),
   `required_settings` (all set = configured; some set with DEBUG off = start-up refused, naming the missing
   ones) and `public_settings` (what `Shop.paymentGateways` may show a storefront: never a secret).
2. `open_payment(request)`: create the payment at the provider, with `request.idempotency_key` as its
   idempotency or reference key, and answer an `Intent`: the provider's id (unique per gateway), our status, the
   client secret if the provider has one, and the `Action` the buyer's client takes next. `poll=True` asks the
   shared flow to have `fetch_status` polled by a job until the status is final (MTN MoMo).
3. `fetch_status(payment)`: the provider's own word on a payment (re-read, never the client's): a `PaymentState`.
   `confirm_payment(payment, data)` checks the client's proof (`data`, e.g. Razorpay's signature) and answers the
   state read from the provider; raise `InvalidProof` for a forged one. The default confirms by fetching.
4. `cancel_payment(payment)`, `refund(payment, amount=, idempotency_key=)`. A provider without idempotency keys
   on refunds implements `find_refund`, which the shared flow calls before retrying a refund whose answer was lost.
5. `parse_webhook(body, headers)`: verify as the provider signs (`InvalidWebhook` otherwise: 400, nothing
   recorded), then `read_event(payload)`: the event in our words. An event with no id of the provider's gets
   `event_identity` (a digest of gateway, type, reference and status). Set `reread=True` where the callback
   proves too little (no timestamp, a static secret, unsigned): the job then trusts only `fetch_status`.
6. Map the provider's states onto `IntentStatus` in a `STATUSES` dict in the module, and add the module's row to
   the README's gateway table. Amounts: `request.minor` (cents, kobo) or `request.decimal` ("77.35") out, and
   `self.minor(value, currency)` in.

Errors the provider or the network cause are ProviderError, which services turn into PAYMENT_PROVIDER_ERROR
after committing what they did, so nothing is lost when a provider is down; `definite=False` says the call may
have taken effect all the same (a timeout), so it is retried with the same key, never made afresh.
"""
import enum
import hashlib
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import requests
from django.conf import settings

from commerce.money import from_minor, round_money, to_minor

WEBHOOK_TOLERANCE_SECONDS = 300


class ProviderError(Exception):
    """The provider could not be reached or refused the call.

    `definite` is False when the call may have taken effect at the provider even so (a timeout, a dropped
    connection): a refund in that state is retried with the same idempotency key, never made afresh.
    """

    def __init__(self, message: str, *, definite: bool = True):
        super().__init__(message)
        self.definite = definite


class InvalidWebhook(Exception):
    """A webhook whose signature is missing, wrong, too old or from the future, or whose body is not an event."""


class InvalidProof(Exception):
    """The client's proof of payment (orderPaymentConfirm's `data`) does not hold: forged, or another order's."""


class ActionType(enum.StrEnum):
    CONFIRM_WITH_SDK = "CONFIRM_WITH_SDK"  # the provider's client SDK, with the client secret or `reference`
    REDIRECT = "REDIRECT"  # send the buyer to `url`
    APPROVE_ON_PHONE = "APPROVE_ON_PHONE"  # the buyer approves on their phone; nothing to do in the page
    NONE = "NONE"  # paid already, or paid outside (cash on delivery, bank transfer)


@dataclass(frozen=True)
class Action:
    """What the buyer's client does next; shown to the buyer, so never a secret."""

    type: ActionType = ActionType.NONE
    url: str = ""
    reference: str = ""
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentRequest:
    """A payment to open: the order's total, who pays it, and the key that makes opening it twice harmless."""

    amount: Decimal
    currency: str  # upper case
    order_id: str
    order_number: str
    idempotency_key: str
    email: str = ""
    phone: str = ""  # the buyer's `data.phone`, else the shipping address's
    data: dict = field(default_factory=dict)  # what the buyer's client sent up front (checkoutComplete's `data`)

    @property
    def minor(self) -> int:
        """In minor units (cents, kobo, paise), as Stripe, Razorpay and Paystack count."""
        return to_minor(self.amount, self.currency)

    @property
    def decimal(self) -> str:
        """As a decimal string ("77.35"), as PayPal, Flutterwave and MTN MoMo count."""
        return str(round_money(self.amount, self.currency))

    @property
    def metadata(self) -> dict:
        return {"order_id": self.order_id, "order_number": self.order_number}


@dataclass(frozen=True)
class Intent:
    """A payment as the provider opened it."""

    id: str  # the provider's id for it, unique per gateway (Payment.intent_id)
    client_secret: str
    status: str  # one of IntentStatus
    amount: int  # minor units
    currency: str
    action: Action = Action()
    poll: bool = False  # have a job read `fetch_status` until the status is final
    provider_data: dict = field(default_factory=dict)  # kept on the payment for the gateway's later calls


@dataclass(frozen=True)
class PaymentState:
    """What the provider says of a payment when asked (never what a client or an unsigned callback said)."""

    status: str  # one of IntentStatus
    received: int | None = None  # minor units, once paid
    currency: str = ""  # upper case
    refunded: int | None = None  # minor units refunded so far, where the provider says
    failure: str = ""
    provider_data: dict = field(default_factory=dict)  # merged into the payment's (a PayPal capture id)


class EventKind(enum.StrEnum):
    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED"  # `received` arrived for `intent_id`
    PAYMENT_FAILED = "PAYMENT_FAILED"  # the attempt failed (`failure` says why); the customer may try again
    REFUNDED = "REFUNDED"  # `refunded` is all that was refunded of `intent_id` so far
    STATUS_CHANGED = "STATUS_CHANGED"  # something happened to `intent_id`: read it with `fetch_status`
    OTHER = "OTHER"  # recorded, not acted on


@dataclass(frozen=True)
class ProviderEvent:
    """A provider's event in our words; `type` and `payload` are the provider's own, kept for the record."""

    id: str  # the provider's event id (an event is recorded once), else `event_identity(...)`
    type: str
    kind: EventKind = EventKind.OTHER
    intent_id: str = ""  # Payment.intent_id, or its action reference
    currency: str = ""  # upper case
    received: int | None = None  # minor units
    refunded: int | None = None  # minor units
    failure: str = ""
    status: str = ""  # the provider's own status word, for the identity of events that have no id
    reread: bool = False  # the event proves too little: apply only what `fetch_status` reads
    payload: dict = field(default_factory=dict)


def event_identity(gateway: str, type_: str, reference: str, status: str) -> str:
    """An event's identity when the provider gives none: the same news twice is one event."""
    return "digest:" + hashlib.sha256(f"{gateway}|{type_}|{reference}|{status}".encode()).hexdigest()


def check_timestamp(timestamp: float, tolerance: int = WEBHOOK_TOLERANCE_SECONDS) -> None:
    """A signed timestamp must be recent and not in the future (a replay, or a clock that would extend one)."""
    if abs(time.time() - timestamp) > tolerance:
        raise InvalidWebhook("The webhook's timestamp is outside the tolerance.")


MANUAL_REFUND_PREFIX = "manual_refund_"


def manual_refund_id(idempotency_key: str) -> str:
    """The id of a refund a gateway cannot make (manual payments, MTN MoMo without disbursement keys): recorded
    as made, for staff to pay out by hand; the shared flow notes it on the order."""
    return reference_for(idempotency_key, MANUAL_REFUND_PREFIX)


def reference_for(idempotency_key: str, prefix: str = "") -> str:
    """A stable reference from an idempotency key, for providers that take our reference (Paystack, MoMo's UUID)."""
    return prefix + str(uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key))


class PaymentGateway:
    """One provider behind the shape the shared flow (commerce.payments.services) uses. See the module's docstring."""

    id: str = ""  # as stored on Payment.provider and WebhookEvent.provider, and in /webhooks/<id>/
    name: str = ""  # for people
    currencies: tuple[str, ...] = ()  # empty: any
    required_settings: tuple[str, ...] = ()
    public_settings: Mapping[str, str] = {}  # config key shown to storefronts -> the setting holding it

    # --- configuration

    @classmethod
    def missing_settings(cls) -> list[str]:
        return [name for name in cls.required_settings if not getattr(settings, name, "")]

    @classmethod
    def is_configured(cls) -> bool:
        return not cls.missing_settings()

    @classmethod
    def is_partly_configured(cls) -> bool:
        """Some of its keys are there and some not: a mistake, which start-up refuses when DEBUG is off."""
        missing = cls.missing_settings()
        return bool(missing) and len(missing) < len(cls.required_settings)

    @classmethod
    def public_config(cls) -> dict[str, str]:
        return {key: value for key, name in cls.public_settings.items() if (value := getattr(settings, name, ""))}

    @classmethod
    def takes(cls, currency: str) -> bool:
        return not cls.currencies or currency.upper() in cls.currencies

    # --- amounts

    @staticmethod
    def minor(value, currency: str) -> int:
        """A provider's amount in minor units: from a decimal string or number ("77.35", 77.35) of major units."""
        return to_minor(Decimal(str(value)), currency)

    @staticmethod
    def major(minor: int, currency: str) -> Decimal:
        return from_minor(minor, currency)

    # --- payments

    def open_payment(self, request: PaymentRequest) -> Intent:
        raise NotImplementedError

    def fetch_status(self, payment) -> PaymentState:
        """The payment as the provider holds it now. `payment` is a commerce.payments.models.Payment."""
        raise NotImplementedError

    def http(self, method: str, url: str, *, timeout: float, **kwargs) -> requests.Response:
        """One call to the provider's HTTP API. No answer, or a 5xx, may have taken effect: ProviderError with
        definite=False, so the flow retries with the same key or looks before acting again. Any other answer is
        the caller's to read, since each provider words its refusals its own way."""
        try:
            response = requests.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as error:
            raise ProviderError(f"{self.name} did not answer: {error}", definite=False) from error
        if response.status_code >= 500:
            raise ProviderError(f"{self.name} failed ({response.status_code}): {response.text[:200]}", definite=False)
        return response

    def status_for_event(self, payment, event: "ProviderEvent") -> PaymentState:
        """What the provider says of `payment` when an event that proves too little (`reread`) arrives; a gateway
        whose events name something it can verify more precisely (a transaction id) overrides this."""
        return self.fetch_status(payment)

    def confirm_payment(self, payment, data: dict) -> PaymentState:
        """The client says it paid (`data` is its proof): check with the provider. InvalidProof for a forgery."""
        return self.fetch_status(payment)

    def cancel_payment(self, payment) -> str:
        """Close a payment a customer could still pay; answer its status afterwards (CANCELED if closed).

        The default, for providers with nothing to cancel (a hosted page simply left), reads the payment and
        abandons it unless it is paid or on its way."""
        from commerce.payments.models import IntentStatus

        status = self.fetch_status(payment).status
        return status if status in {IntentStatus.SUCCEEDED, IntentStatus.PROCESSING} else IntentStatus.CANCELED

    def refund(self, payment, *, amount: int, idempotency_key: str) -> str:
        """Refund `amount` minor units of `payment`; answer the refund's id."""
        raise NotImplementedError

    def find_refund(self, payment, *, amount: int, idempotency_key: str) -> str | None:
        """The id of a refund already made for this attempt, or None. Called before a refund whose answer was lost
        is retried; providers without idempotency keys list the payment's refunds here."""
        return None

    # --- webhooks

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        raise InvalidWebhook(f"The {self.id} gateway takes no webhooks.")

    def read_event(self, payload: dict) -> ProviderEvent:
        """A recorded event's payload, translated again (by the job that applies it)."""
        raise InvalidWebhook(f"The {self.id} gateway takes no webhooks.")
