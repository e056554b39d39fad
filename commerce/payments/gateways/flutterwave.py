"""Flutterwave v3 standard payments over plain HTTP: a hosted payment link for our `tx_ref`, cards, mobile money and
M-Pesa all through it, and every claim verified with Flutterwave before it is trusted.

What a callback proves: only that its sender knows a static shared secret (`verif-hash`, compared in constant
time), with no timestamp and no digest of the body, so anyone who once saw it can replay or invent events. The
gap is closed by never taking an event's figures: its events are `reread`, and the job applies what Flutterwave
answers when asked: about the transaction id the event names, when Flutterwave says it is ours, else about our
tx_ref. The buyer's redirect back (`orderPaymentConfirm` with `transaction_id`) is
verified by that id, and refused unless Flutterwave says the transaction is ours (tx_ref), for the order's amount
and currency. Events carry no id of Flutterwave's: their identity is a digest of (gateway, type, tx_ref, status).
Refunds take no idempotency key, so a refund whose answer was lost is looked for among the transaction's
refunds before it is made again.
"""
import hmac
import json
from collections.abc import Mapping

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
    reference_for,
)

# A transaction's `status` at Flutterwave. No transaction yet for our tx_ref: the buyer has not paid at the link.
STATUSES = {
    "successful": "SUCCEEDED",
    "pending": "PROCESSING",
    "failed": "FAILED",
    "cancelled": "CANCELED",
}
UNPAID = "REQUIRES_ACTION"
EVENTS = {"successful": EventKind.PAYMENT_SUCCEEDED, "failed": EventKind.PAYMENT_FAILED}


class FlutterwaveGateway(PaymentGateway):
    id = "flutterwave"
    name = "Flutterwave"
    currencies = ("NGN", "GHS", "KES", "UGX", "TZS", "RWF", "ZAR", "ZMW", "MWK", "XAF", "XOF", "EGP", "ETB",
                  "USD", "EUR", "GBP")
    required_settings = ("FLUTTERWAVE_SECRET_KEY", "FLUTTERWAVE_SECRET_HASH")
    public_settings = {"publicKey": "FLUTTERWAVE_PUBLIC_KEY"}  # for Flutterwave Inline; the hosted link needs none

    # --- HTTP

    def _call(self, method: str, path: str, *, json_body: dict | None = None, params: dict | None = None,
              missing_ok: bool = False) -> dict | None:
        """Flutterwave's `data` for a call. A timeout or 5xx may have taken effect (definite=False); a 4xx is a
        refusal, or None with `missing_ok` when it says there is no such transaction."""
        response = self.http(method, settings.FLUTTERWAVE_API_BASE.rstrip("/") + path, json=json_body, params=params,
                             headers={"Authorization": f"Bearer {settings.FLUTTERWAVE_SECRET_KEY}"},
                             timeout=settings.FLUTTERWAVE_TIMEOUT.total_seconds())
        try:
            body = response.json()
        except ValueError:
            body = {}
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        if missing_ok and response.status_code in {400, 404} and "no transaction" in message.lower():
            return None
        if response.status_code >= 400 or not isinstance(body, dict) or body.get("status") != "success":
            raise ProviderError(f"Flutterwave refused ({response.status_code}): {message}")
        return body.get("data")

    # --- payments

    def open_payment(self, request: PaymentRequest) -> Intent:
        tx_ref = reference_for(request.idempotency_key, "flw-")
        customer = {"email": request.email, **({"phonenumber": request.phone} if request.phone else {})}
        data = self._call("POST", "/v3/payments", json_body={
            "tx_ref": tx_ref, "amount": request.decimal, "currency": request.currency,
            "redirect_url": str(request.data.get("redirectUrl") or settings.FLUTTERWAVE_REDIRECT_URL),
            "payment_options": settings.FLUTTERWAVE_PAYMENT_OPTIONS, "customer": customer, "meta": request.metadata,
            "customizations": {"title": settings.SHOP_NAME, "description": f"Order {request.order_number}"},
        })
        link = (data or {}).get("link") or ""
        if not link:
            raise ProviderError("Flutterwave answered no payment link.")
        return Intent(tx_ref, "", UNPAID, request.minor, request.currency,
                      action=Action(ActionType.REDIRECT, url=link, reference=tx_ref))

    def fetch_status(self, payment) -> PaymentState:
        """Flutterwave's word on our tx_ref (verify by reference): the latest transaction made at the link."""
        data = self._call("GET", "/v3/transactions/verify_by_reference", params={"tx_ref": payment.intent_id},
                          missing_ok=True)
        if data is None:
            return PaymentState(UNPAID)
        if data.get("tx_ref") != payment.intent_id:
            raise ProviderError("Flutterwave answered for another tx_ref.")
        return self._state(data)

    def status_for_event(self, payment, event: ProviderEvent) -> PaymentState:
        """An event names its transaction: verified by that id, as Flutterwave asks, when it is this payment's
        tx_ref (an event is never believed: a wrong id falls back to asking by our tx_ref)."""
        transaction_id = str((event.payload.get("data") or {}).get("id") or "")
        if transaction_id.isdigit():
            verified = self._call("GET", f"/v3/transactions/{transaction_id}/verify", missing_ok=True)
            if verified is not None and verified.get("tx_ref") == payment.intent_id:
                return self._state(verified)
        return self.fetch_status(payment)

    def confirm_payment(self, payment, data: dict) -> PaymentState:
        """The buyer came back from the hosted page with `transaction_id`: verify that id, and refuse a
        transaction of another tx_ref, amount or currency (a redirect back is anyone's to forge)."""
        transaction_id = str(data.get("transaction_id") or data.get("transactionId") or "")
        if not transaction_id:
            return self.fetch_status(payment)
        if not transaction_id.isdigit():
            raise InvalidProof("transaction_id is not a Flutterwave transaction id.")
        verified = self._call("GET", f"/v3/transactions/{transaction_id}/verify", missing_ok=True)
        if verified is None:
            raise InvalidProof("Flutterwave has no such transaction.")
        if verified.get("tx_ref") != payment.intent_id:
            raise InvalidProof("That transaction is not this order's payment.")
        state = self._state(verified)
        if state.status == "SUCCEEDED" and (
                state.currency != payment.currency.upper()
                or self.major(state.received, state.currency) != payment.amount):
            raise InvalidProof("That transaction is not for this order's amount and currency.")
        return state

    def _state(self, data: dict) -> PaymentState:
        status, currency = STATUSES.get(str(data.get("status", "")).lower(), UNPAID), str(data.get("currency", "")).upper()
        return PaymentState(
            status, currency=currency,
            received=self.minor(data.get("amount", 0), currency) if status == "SUCCEEDED" else None,
            failure=str(data.get("processor_response") or "") if status == "FAILED" else "",
            provider_data={"transaction_id": str(data["id"])} if data.get("id") else {})

    def _transaction_id(self, payment) -> str:
        """The paid transaction's id, kept when it was verified, else read by our tx_ref."""
        if known := payment.provider_data.get("transaction_id"):
            return known
        known = self.fetch_status(payment).provider_data.get("transaction_id")
        if not known:
            raise ProviderError("Flutterwave has no transaction for this payment to refund.")
        return known

    def refund(self, payment, *, amount: int, idempotency_key: str) -> str:
        transaction_id = self._transaction_id(payment)
        data = self._call("POST", f"/v3/transactions/{transaction_id}/refund", json_body={
            "amount": str(round_money(self.major(amount, payment.currency), payment.currency)), "comments": idempotency_key})
        return str((data or {}).get("id", ""))

    def find_refund(self, payment, *, amount: int, idempotency_key: str) -> str | None:
        """A refund of this transaction for `amount` that none of ours recorded yet: the one whose answer was lost."""
        transaction_id = self._transaction_id(payment)
        listed = self._call("GET", "/v3/refunds", params={"id": transaction_id}) or []
        ours = set(payment.refunds.exclude(refund_id="").values_list("refund_id", flat=True))
        for each in listed:
            if (str(each.get("tx_id")) == transaction_id and str(each.get("id")) not in ours
                    and self.minor(each.get("amount_refunded", 0), payment.currency) == amount):
                return str(each["id"])
        return None

    # --- webhooks

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        given = (headers.get("verif-hash") or "").encode()
        if not given or not hmac.compare_digest(given, settings.FLUTTERWAVE_SECRET_HASH.encode()):
            raise InvalidWebhook("The verif-hash header is missing or wrong.")
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise InvalidWebhook("The body is not JSON.") from error
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise InvalidWebhook("The body is not a Flutterwave event.")
        return self.read_event(payload)

    def read_event(self, payload: dict) -> ProviderEvent:
        type_, data = str(payload.get("event") or payload.get("event.type") or ""), payload.get("data") or {}
        status = str(data.get("status", "")).lower()
        kind = EVENTS.get(status, EventKind.STATUS_CHANGED) if type_ == "charge.completed" else EventKind.OTHER
        return ProviderEvent(id="", type=type_, kind=kind, intent_id=str(data.get("tx_ref") or ""),
                             currency=str(data.get("currency", "")).upper(), status=status, reread=True,
                             payload=payload)
