"""Razorpay through the official `razorpay` library: an order from the Orders API, paid in Razorpay Checkout.

The library serves: its Client takes `base_url` (RAZORPAY_API_BASE: the fake in tests), every call passes
`timeout` on to requests, and its signature helpers compare in constant time. It does not say which HTTP status
an error had, only Razorpay's error code: BAD_REQUEST_ERROR is a definite refusal, anything else (and a
timeout) may have taken effect.

What a callback proves: a webhook is signed (HMAC-SHA256 of the raw body with RAZORPAY_WEBHOOK_SECRET) but has
no timestamp, so a captured one could be replayed; the buyer's `razorpay_signature` (HMAC-SHA256 of
"order_id|payment_id" with the key secret) proves only that Razorpay's checkout saw that payment id. Both gaps
are closed the same way: the figures are never taken from them. A confirm re-reads the payment
(GET /v1/payments/{id}: its order, status, amount and currency), and every event is `reread`: the job applies
what the order's payments read (GET /v1/orders/{id}/payments) say. An event's identity is Razorpay's
X-Razorpay-Event-Id header, else a digest. Orders cannot be cancelled at Razorpay: an abandoned one that is paid
after all is a stray payment, refunded by the shared flow.
"""
import json
from collections.abc import Mapping
from dataclasses import replace

import razorpay
import requests
from django.conf import settings
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError

from commerce.payments.gateways.base import (
    Action,
    ActionType,
    EventKind,
    Intent,
    InvalidProof,
    InvalidWebhook,
    PaymentGateway,
    PaymentRequest,
    PaymentState,
    ProviderError,
    ProviderEvent,
)

# A Razorpay payment's states; an order with none of them is awaiting one (its own states: created, attempted,
# paid). "refunded" keeps the money received: the refunded figure says how much went back.
STATUSES = {
    "created": "REQUIRES_ACTION",
    "authorized": "PROCESSING",  # captured by Razorpay's auto-capture (the account's payment capture setting)
    "captured": "SUCCEEDED",
    "refunded": "SUCCEEDED",
    "failed": "FAILED",
}
ORDER_STATUSES = {"created": "REQUIRES_PAYMENT_METHOD", "attempted": "REQUIRES_PAYMENT_METHOD", "paid": "SUCCEEDED"}
PREFERENCE = ("captured", "refunded", "authorized", "created", "failed")  # which of an order's payments speaks
EVENTS = {
    "payment.captured": EventKind.PAYMENT_SUCCEEDED,
    "order.paid": EventKind.PAYMENT_SUCCEEDED,
    "payment.failed": EventKind.PAYMENT_FAILED,
    "refund.processed": EventKind.REFUNDED,
}
PROOF = ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")


class RazorpayGateway(PaymentGateway):
    id = "razorpay"
    name = "Razorpay"
    required_settings = ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET")
    public_settings = {"keyId": "RAZORPAY_KEY_ID"}

    def __init__(self):
        self.client = razorpay.Client(auth=(settings.RAZORPAY_KEY_ID, settings.RAZORPAY_KEY_SECRET),
                                      base_url=settings.RAZORPAY_API_BASE)
        self.timeout = settings.RAZORPAY_TIMEOUT.total_seconds()

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, timeout=self.timeout, **kwargs)
        except BadRequestError as error:
            raise ProviderError(f"Razorpay refused: {error}") from error
        except (ServerError, GatewayError, requests.RequestException, ValueError) as error:  # ValueError: not JSON
            raise ProviderError(f"Razorpay did not answer clearly: {error}", definite=False) from error

    # --- payments

    def open_payment(self, request: PaymentRequest) -> Intent:
        """A Razorpay order whose receipt is our idempotency key. The Orders API takes no idempotency key, so an
        order already made with that receipt (an answer lost to a timeout) is taken up instead of a second one."""
        found = self._call(self.client.order.all, {"receipt": request.idempotency_key})
        order = next(iter(found.get("items") or []), None) or self._call(self.client.order.create, {
            "amount": request.minor, "currency": request.currency, "receipt": request.idempotency_key,
            "notes": request.metadata})
        return Intent(order["id"], "", ORDER_STATUSES.get(order["status"], "FAILED"), int(order["amount"]),
                      order["currency"].upper(),
                      action=Action(ActionType.CONFIRM_WITH_SDK, reference=order["id"],
                                    data={"keyId": settings.RAZORPAY_KEY_ID}))

    def fetch_status(self, payment) -> PaymentState:
        """The order's payments as Razorpay lists them: a captured one if any, else the one furthest along."""
        items = self._call(self.client.order.payments, payment.intent_id).get("items") or []
        ranked = sorted((each for each in items if each.get("status") in PREFERENCE),
                        key=lambda each: PREFERENCE.index(each["status"]))
        if not ranked:
            return PaymentState("REQUIRES_PAYMENT_METHOD")
        return self._state(ranked[0])

    def _state(self, paid: dict) -> PaymentState:
        status = STATUSES.get(paid.get("status"), "PROCESSING")  # a state unknown here: not final, not cancelled
        return PaymentState(status, received=int(paid["amount"]) if status == "SUCCEEDED" else None,
                            currency=str(paid.get("currency", "")).upper(),
                            refunded=int(paid.get("amount_refunded") or 0),
                            failure=(paid.get("error_description") or "") if status == "FAILED" else "",
                            provider_data={"payment_id": paid["id"]})

    def confirm_payment(self, payment, data: dict) -> PaymentState:
        """Checkout's handler gives the buyer's client three values; the signature must be this order's, and then
        the payment is read from Razorpay, which alone says whether it was captured and for how much."""
        if not all(isinstance(data.get(name), str) and data[name] and data[name].isascii() for name in PROOF):
            raise InvalidProof(f"{', '.join(PROOF)} are required.")
        if data["razorpay_order_id"] != payment.intent_id:
            raise InvalidProof("it is for another order.")
        try:
            self.client.utility.verify_payment_signature({name: data[name] for name in PROOF})
        except SignatureVerificationError:
            raise InvalidProof("the signature does not match.") from None
        paid = self._call(self.client.payment.fetch, data["razorpay_payment_id"])
        if paid.get("order_id") != payment.intent_id:
            raise InvalidProof("the payment is for another order.")
        return self._state(paid)

    def refund(self, payment, *, amount: int, idempotency_key: str) -> str:
        """Refund the order's captured payment; X-Refund-Idempotency makes a retry after a lost answer harmless."""
        payment_id = payment.provider_data.get("payment_id") or self.fetch_status(payment).provider_data["payment_id"]
        refund = self._call(self.client.payment.refund, payment_id, {"amount": amount, "receipt": idempotency_key},
                            headers={"X-Refund-Idempotency": f"{self.id}-{idempotency_key}"})
        return refund["id"]

    # --- webhooks

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        signature = headers.get("X-Razorpay-Signature") or ""
        if not signature.isascii():  # hmac.compare_digest takes ASCII strings only
            raise InvalidWebhook("The signature is not a hex digest.")
        try:
            # The library signs a str; the raw body decoded as the UTF-8 JSON is re-encoded byte for byte.
            self.client.utility.verify_webhook_signature(body.decode(), signature, settings.RAZORPAY_WEBHOOK_SECRET)
            payload = json.loads(body)
        except (SignatureVerificationError, ValueError) as error:
            raise InvalidWebhook(str(error)) from error
        if not isinstance(payload, dict) or not payload.get("event"):
            raise InvalidWebhook("The body is not a Razorpay event.")
        return replace(self.read_event(payload), id=headers.get("X-Razorpay-Event-Id") or "")

    def read_event(self, payload: dict) -> ProviderEvent:
        type_, entities = payload.get("event", ""), payload.get("payload") or {}
        paid = (entities.get("payment") or {}).get("entity") or {}
        order = (entities.get("order") or {}).get("entity") or {}
        refund = (entities.get("refund") or {}).get("entity") or {}
        return ProviderEvent(
            id="", type=type_, kind=EVENTS.get(type_, EventKind.OTHER), payload=payload, reread=True,
            intent_id=order.get("id") or paid.get("order_id") or refund.get("payment_id") or "",
            currency=str(paid.get("currency") or order.get("currency") or "").upper(),
            status=paid.get("status") or order.get("status") or refund.get("status") or "",
        )

