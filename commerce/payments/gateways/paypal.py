"""PayPal through its REST API (Orders v2, Payments v2, Notifications v1) over plain HTTP.

Not `paypal-server-sdk`: it has no webhook verification, so half the gateway would be plain HTTP anyway, and it
reaches a fake only by replacing its HTTP client; three JSON calls and a token are smaller than that dependency.

The flow: an order is created with `intent: CAPTURE` (the buyer's client gets its id as `action.reference`, for
the PayPal JS SDK, and the approve link as `action.url`); the buyer approves at PayPal; we capture. Capturing is
the step that takes the money, and both the confirm call (orderPaymentConfirm, from the SDK's onApprove) and the
CHECKOUT.ORDER.APPROVED event lead to it: whichever reads the order APPROVED first captures, with the
`PayPal-Request-Id` "capture-<order id>", so PayPal captures once and answers the other the same. A payment we
closed (CANCELED) is never captured, even if its buyer approves it later: PayPal lets the order expire.

What a callback proves: nothing by itself. Each is sent back to PayPal's verify-webhook-signature with its
transmission headers and our PAYPAL_WEBHOOK_ID, byte for byte as it came (PayPal signs a CRC32 of the raw body,
so re-encoded JSON would fail), and only verification_status SUCCESS is accepted. The certificate URL a request
carries is passed to PayPal, never fetched by us (that would let anyone make us fetch any address). Missing
headers and a transmission time outside the tolerance (stale or future; PayPal signs it, and a retry is a new
transmission) are refused before PayPal is asked. A verified event's figures are trusted; an approval and a
refund are re-read (the approval to capture it, a refund event to learn the total refunded). The event identity
for dedupe is PayPal's event id (WH-...).
"""
import json
import threading
import time
from collections.abc import Mapping
from datetime import datetime

import requests
from django.conf import settings

from commerce.money import round_money
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
    check_timestamp,
)

# An order's status. APPROVED is not money yet: it is REQUIRES_ACTION until we capture it.
STATUSES = {
    "CREATED": "REQUIRES_PAYMENT_METHOD",
    "SAVED": "REQUIRES_PAYMENT_METHOD",
    "PAYER_ACTION_REQUIRED": "REQUIRES_ACTION",
    "APPROVED": "REQUIRES_ACTION",
    "COMPLETED": "SUCCEEDED",  # refined by its capture's status below
    "VOIDED": "CANCELED",
}
# A COMPLETED order's capture: the money itself.
CAPTURE_STATUSES = {
    "COMPLETED": "SUCCEEDED",
    "PARTIALLY_REFUNDED": "SUCCEEDED",
    "REFUNDED": "SUCCEEDED",
    "PENDING": "PROCESSING",  # e.g. an eCheck, or held for review: PAYMENT.CAPTURE.COMPLETED follows
    "DECLINED": "FAILED",
    "FAILED": "FAILED",
}
EVENTS = {
    "PAYMENT.CAPTURE.COMPLETED": EventKind.PAYMENT_SUCCEEDED,
    "PAYMENT.CAPTURE.DENIED": EventKind.PAYMENT_FAILED,
    "CHECKOUT.ORDER.APPROVED": EventKind.STATUS_CHANGED,  # re-read, which captures it
    "PAYMENT.CAPTURE.REFUNDED": EventKind.STATUS_CHANGED,  # re-read for the total refunded
}
# A capture refused because of the buyer's funding source: this attempt failed, a new one may be opened.
DECLINES = {"INSTRUMENT_DECLINED", "TRANSACTION_REFUSED", "PAYER_CANNOT_PAY", "PAYEE_BLOCKED_TRANSACTION"}
TRANSMISSION_HEADERS = {
    "auth_algo": "PAYPAL-AUTH-ALGO",
    "cert_url": "PAYPAL-CERT-URL",
    "transmission_id": "PAYPAL-TRANSMISSION-ID",
    "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
    "transmission_time": "PAYPAL-TRANSMISSION-TIME",
}
# PayPal's currencies (https://developer.paypal.com/reference/currency-codes/).
CURRENCIES = ("AUD", "BRL", "CAD", "CNY", "CZK", "DKK", "EUR", "HKD", "HUF", "ILS", "JPY", "MYR", "MXN", "TWD", "NZD",
              "NOK", "PHP", "PLN", "GBP", "SGD", "SEK", "CHF", "THB", "USD")

_tokens: dict[tuple[str, str], tuple[str, float]] = {}  # (api base, client id) -> (access token, expires at)
_tokens_lock = threading.Lock()


class PayPalError(ProviderError):
    """PayPal refused a call; `issue` is its first detail's issue (ORDER_NOT_APPROVED, INSTRUMENT_DECLINED...)."""

    def __init__(self, message: str, *, status: int, issue: str = "", definite: bool = True):
        super().__init__(message, definite=definite)
        self.status, self.issue = status, issue


class PayPalGateway(PaymentGateway):
    id = "paypal"
    name = "PayPal"
    currencies = CURRENCIES
    required_settings = ("PAYPAL_CLIENT_ID", "PAYPAL_CLIENT_SECRET", "PAYPAL_WEBHOOK_ID")
    public_settings = {"clientId": "PAYPAL_CLIENT_ID"}

    def __init__(self):
        self.base = settings.PAYPAL_API_BASE.rstrip("/")
        self.timeout = settings.PAYPAL_TIMEOUT.total_seconds()

    # --- payments

    def open_payment(self, request: PaymentRequest) -> Intent:
        unit = {"reference_id": request.order_number, "custom_id": request.order_id,
                "invoice_id": request.order_number,
                "amount": {"currency_code": request.currency, "value": request.decimal}}
        order = self._call("POST", "/v2/checkout/orders", body={"intent": "CAPTURE", "purchase_units": [unit]},
                           request_id=request.idempotency_key)
        approve = next((link["href"] for link in order.get("links", [])
                        if link.get("rel") in {"approve", "payer-action"}), "")
        return Intent(order["id"], "", STATUSES.get(order.get("status", ""), "REQUIRES_PAYMENT_METHOD"),
                      request.minor, request.currency,
                      action=Action(ActionType.CONFIRM_WITH_SDK, url=approve, reference=order["id"]))

    def fetch_status(self, payment) -> PaymentState:
        """The order as PayPal holds it, captured first if the buyer has approved it and we have not closed it."""
        order = self._order(payment.intent_id)
        if order.get("status") == "APPROVED" and payment.status != "CANCELED":
            try:
                order = self._capture(payment.intent_id)
            except PayPalError as error:
                if error.issue not in DECLINES:
                    raise
                return PaymentState("FAILED", failure="PayPal declined the buyer's funding source; pay again.")
        return self._state(order)

    def confirm_payment(self, payment, data: dict) -> PaymentState:
        """The JS SDK's onApprove sends {orderID}: another order's id is refused; the order is read (and
        captured) at PayPal whatever the client says."""
        claimed = data.get("orderID") or data.get("orderId")
        if claimed and claimed != payment.intent_id:
            raise InvalidProof("That PayPal order is not this payment's.")
        return self.fetch_status(payment)

    def cancel_payment(self, payment) -> str:
        """A CAPTURE order has nothing to void at PayPal: uncaptured, it is closed here (never captured) and expires
        there; captured (or its capture pending), it keeps the order."""
        status = self._state(self._order(payment.intent_id)).status
        return status if status in {"SUCCEEDED", "PROCESSING"} else "CANCELED"

    def refund(self, payment, *, amount: int, idempotency_key: str) -> str:
        """Through the capture's refund; `custom_id` carries the PayPal order id, so the refund's event finds us."""
        capture_id = (payment.provider_data.get("capture_id")
                      or self._state(self._order(payment.intent_id)).provider_data.get("capture_id"))
        if not capture_id:
            raise ProviderError(f"PayPal order {payment.intent_id} has no capture to refund.")
        currency = payment.currency.upper()
        body = {"amount": {"currency_code": currency, "value": str(round_money(self.major(amount, currency), currency))},
                "custom_id": payment.intent_id}
        refund = self._call("POST", f"/v2/payments/captures/{capture_id}/refund", body=body,
                            request_id=idempotency_key)
        if refund.get("status") in {"FAILED", "CANCELLED"}:
            raise ProviderError(f"PayPal refused the refund: {refund.get('status')}.")
        return refund["id"]

    # --- webhooks

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        sent = {key: headers.get(name) or "" for key, name in TRANSMISSION_HEADERS.items()}
        if not all(sent.values()):
            raise InvalidWebhook("PayPal's transmission headers are missing.")
        try:
            raw = body.decode()
            payload = json.loads(raw)
            sent_at = datetime.fromisoformat(sent["transmission_time"])
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise InvalidWebhook(str(error)) from error
        if not isinstance(payload, dict) or not payload.get("id") or sent_at.tzinfo is None:
            raise InvalidWebhook("Not a PayPal event.")
        check_timestamp(sent_at.timestamp())
        # The event goes back exactly as it came: PayPal checks the CRC32 of these bytes.
        verify = json.dumps({**sent, "webhook_id": settings.PAYPAL_WEBHOOK_ID})[:-1] + ', "webhook_event": ' + raw + "}"
        try:
            answer = self._call("POST", "/v1/notifications/verify-webhook-signature", raw=verify.encode())
        except PayPalError as error:
            if error.definite:  # PayPal refused what was sent (a bad certificate URL, an unknown webhook id)
                raise InvalidWebhook(str(error)) from error
            raise
        if answer.get("verification_status") != "SUCCESS":
            raise InvalidWebhook("PayPal did not verify the event's signature.")
        return self.read_event(payload)

    def read_event(self, payload: dict) -> ProviderEvent:
        type_, resource = payload.get("event_type", ""), payload.get("resource") or {}
        kind = EVENTS.get(type_, EventKind.OTHER)
        amount = resource.get("amount") or {}
        currency = str(amount.get("currency_code", "")).upper()
        if type_ == "CHECKOUT.ORDER.APPROVED":
            intent_id = resource.get("id", "")
        elif type_ == "PAYMENT.CAPTURE.REFUNDED":
            intent_id = resource.get("custom_id", "")  # set by refund(); a refund made in PayPal's dashboard has none
        else:
            intent_id = ((resource.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id", "")
        return ProviderEvent(
            id=payload.get("id", ""), type=type_, kind=kind, payload=payload, intent_id=intent_id,
            status=resource.get("status", ""), reread=kind == EventKind.STATUS_CHANGED,
            currency=currency if kind == EventKind.PAYMENT_SUCCEEDED else "",
            received=self.minor(amount["value"], currency) if kind == EventKind.PAYMENT_SUCCEEDED else None,
            failure="PayPal denied the capture." if kind == EventKind.PAYMENT_FAILED else "",
        )

    # --- PayPal's API

    def _order(self, order_id: str) -> dict:
        return self._call("GET", f"/v2/checkout/orders/{order_id}")

    def _capture(self, order_id: str) -> dict:
        """Capture once, whoever asks: the same PayPal-Request-Id gets the first answer again. An order captured
        under another key (before a restart that lost ours) is read instead."""
        try:
            return self._call("POST", f"/v2/checkout/orders/{order_id}/capture", body={},
                              request_id=f"capture-{order_id}")
        except PayPalError as error:
            if error.issue != "ORDER_ALREADY_CAPTURED":
                raise
            return self._order(order_id)

    def _state(self, order: dict) -> PaymentState:
        units = order.get("purchase_units") or [{}]
        money = [unit.get("payments") or {} for unit in units]
        captures = [capture for each in money for capture in each.get("captures", [])]
        refunds = [refund for each in money for refund in each.get("refunds", []) if refund.get("status") == "COMPLETED"]
        status = STATUSES.get(order.get("status", ""), "FAILED")
        if not captures:
            return PaymentState("PROCESSING" if status == "SUCCEEDED" else status)
        capture = captures[-1]
        currency = str(capture["amount"]["currency_code"]).upper()
        status = CAPTURE_STATUSES.get(capture.get("status", ""), "PROCESSING")
        return PaymentState(
            status, currency=currency, provider_data={"capture_id": capture["id"]},
            received=self.minor(capture["amount"]["value"], currency) if status == "SUCCEEDED" else None,
            refunded=sum(self.minor(refund["amount"]["value"], currency) for refund in refunds),
            failure="PayPal declined the capture." if status == "FAILED" else "",
        )

    def _token(self, *, fresh: bool = False) -> str:
        """An OAuth access token (client credentials), kept until a minute before it expires."""
        key = (self.base, settings.PAYPAL_CLIENT_ID)
        with _tokens_lock:
            token, expires_at = _tokens.get(key, ("", 0.0))
            if fresh or time.monotonic() >= expires_at:
                answer = self._send("POST", "/v1/oauth2/token", data={"grant_type": "client_credentials"},
                                    auth=(settings.PAYPAL_CLIENT_ID, settings.PAYPAL_CLIENT_SECRET))
                token = answer["access_token"]
                _tokens[key] = (token, time.monotonic() + int(answer.get("expires_in", 0)) - 60)
            return token

    def _call(self, method: str, path: str, *, body=None, raw: bytes | None = None, request_id: str = "") -> dict:
        headers = {"Content-Type": "application/json", "Prefer": "return=representation"}
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        for fresh in (False, True):  # a token PayPal no longer takes is fetched again, once
            headers["Authorization"] = f"Bearer {self._token(fresh=fresh)}"
            try:
                return self._send(method, path, json=body, data=raw, headers=headers)
            except PayPalError as error:
                if error.status != 401 or fresh:
                    raise
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = requests.request(method, self.base + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:  # it may have been done: retried with the same request id
            raise PayPalError(f"PayPal did not answer: {error}", status=0, definite=False) from error
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            answer = {}
        if response.status_code >= 400:
            details = answer.get("details") or [{}]
            issue = details[0].get("issue", "") or answer.get("name", "") or answer.get("error", "")
            raise PayPalError(f"PayPal answered {response.status_code} to {method} {path}: {issue}",
                              status=response.status_code, issue=issue, definite=response.status_code < 500)
        return answer
