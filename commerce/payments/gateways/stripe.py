"""Stripe through the official library's StripeClient: short timeouts, idempotency keys, signed webhooks.

What a callback proves: signed (HMAC-SHA256) with a timestamp, checked both ways (stale and future refused), so
its figures are trusted as they come; its identity is Stripe's event id.
"""
from collections.abc import Mapping

import stripe
from django.conf import settings

from commerce.payments.gateways.base import (
    Action,
    ActionType,
    EventKind,
    Intent,
    InvalidWebhook,
    PaymentGateway,
    PaymentRequest,
    PaymentState,
    ProviderError,
    ProviderEvent,
    check_timestamp,
)

STATUSES = {
    "requires_payment_method": "REQUIRES_PAYMENT_METHOD",
    "requires_confirmation": "REQUIRES_PAYMENT_METHOD",
    "requires_action": "REQUIRES_ACTION",
    "requires_capture": "PROCESSING",
    "processing": "PROCESSING",
    "succeeded": "SUCCEEDED",
    "canceled": "CANCELED",
}
EVENTS = {
    "payment_intent.succeeded": EventKind.PAYMENT_SUCCEEDED,
    "payment_intent.payment_failed": EventKind.PAYMENT_FAILED,
    "charge.refunded": EventKind.REFUNDED,
}


class StripeGateway(PaymentGateway):
    id = "stripe"
    name = "Stripe"
    required_settings = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
    public_settings = {"publishableKey": "STRIPE_PUBLISHABLE_KEY"}

    def __init__(self):
        base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses=base,
            max_network_retries=1,
            http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT.total_seconds()),
        )

    def open_payment(self, request: PaymentRequest) -> Intent:
        try:
            intent = self.client.v1.payment_intents.create(
                params={"amount": request.minor, "currency": request.currency.lower(), "metadata": request.metadata,
                        "automatic_payment_methods": {"enabled": True}},
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as error:
            raise ProviderError(str(error)) from error
        return Intent(intent.id, intent.client_secret or "", STATUSES.get(intent.status, "FAILED"), intent.amount,
                      intent.currency.upper(), action=Action(ActionType.CONFIRM_WITH_SDK))

    def fetch_status(self, payment) -> PaymentState:
        try:
            intent = self.client.v1.payment_intents.retrieve(payment.intent_id)
        except stripe.StripeError as error:
            raise ProviderError(str(error)) from error
        status = STATUSES.get(intent.status, "FAILED")
        return PaymentState(status, received=intent.amount_received if status == "SUCCEEDED" else None,
                            currency=intent.currency.upper())

    def cancel_payment(self, payment) -> str:
        try:
            return STATUSES.get(self.client.v1.payment_intents.cancel(payment.intent_id).status, "FAILED")
        except stripe.InvalidRequestError as error:  # already succeeded or canceled: ask what it is
            try:
                return STATUSES.get(self.client.v1.payment_intents.retrieve(payment.intent_id).status, "FAILED")
            except stripe.StripeError:
                raise ProviderError(str(error)) from error
        except stripe.StripeError as error:
            raise ProviderError(str(error)) from error

    def refund(self, payment, *, amount: int, idempotency_key: str) -> str:
        try:
            refund = self.client.v1.refunds.create(params={"payment_intent": payment.intent_id, "amount": amount},
                                                   options={"idempotency_key": idempotency_key})
        except (stripe.APIConnectionError, stripe.APIError) as error:  # it may have been made: retry, same key
            raise ProviderError(str(error), definite=False) from error
        except stripe.StripeError as error:
            raise ProviderError(str(error)) from error
        return refund.id

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        header = headers.get("Stripe-Signature") or ""
        try:
            event = stripe.Webhook.construct_event(body, header, settings.STRIPE_WEBHOOK_SECRET, tolerance=300)
        except (ValueError, stripe.SignatureVerificationError) as error:
            raise InvalidWebhook(str(error)) from error
        # The library refuses stale timestamps only; a signed one from the future is refused here.
        check_timestamp(int(dict(part.split("=", 1) for part in header.split(",") if "=" in part)["t"]))
        return self.read_event(event.to_dict())

    def read_event(self, payload: dict) -> ProviderEvent:
        type_, obj = payload.get("type", ""), payload.get("data", {}).get("object", {})
        kind = EVENTS.get(type_, EventKind.OTHER)
        error = obj.get("last_payment_error") or {}
        return ProviderEvent(
            id=payload.get("id", ""), type=type_, kind=kind, payload=payload,
            intent_id=(obj.get("payment_intent") if type_.startswith("charge.") else obj.get("id")) or "",
            currency=str(obj.get("currency", "")).upper(),
            received=int(obj.get("amount_received", 0)) if kind == EventKind.PAYMENT_SUCCEEDED else None,
            refunded=int(obj.get("amount_refunded", 0)) if kind == EventKind.REFUNDED else None,
            failure=error.get("message", "") if kind == EventKind.PAYMENT_FAILED else "",
        )
