"""Paystack (Nigeria, Ghana, South Africa, Kenya) over its REST API with plain HTTP: a hosted checkout page.

A payment is a transaction initialized with our reference (from the attempt's idempotency key, so opening the
same attempt twice names one transaction), amounts in the currency's subunit (kobo, pesewas, cents); the buyer
is redirected to its authorization URL and comes back to the callback URL with `?reference=`.

What a callback proves: `x-paystack-signature` is HMAC-SHA512 of the raw body with the secret key, but signs no
timestamp, so a captured `charge.success` can be replayed at will. The gap is closed by trusting no figure in
it: each event is marked `reread` and applied as `GET /transaction/verify/<our reference>` answers (status,
amount, currency). Paystack gives its events no id, so their identity is a digest of (gateway, event type,
reference, status). A client's proof (the reference it came back with) is only a hint: a reference other than
the attempt's own is refused, and the attempt's own is verified with Paystack.

Refunds take no idempotency key: each carries its key as `merchant_note`, and before a refund whose answer was
lost is retried, `find_refund` lists the transaction's refunds for it.
"""
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from urllib.parse import quote

from django.conf import settings

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

# A transaction's status (GET /transaction/verify) -> PaymentIntentStatus. A new transaction is "abandoned"
# until the buyer completes it; "reversed" is money taken and given back (a refund or a chargeback).
STATUSES = {
    "abandoned": "REQUIRES_PAYMENT_METHOD",
    "ongoing": "REQUIRES_ACTION",  # waiting on the buyer: an OTP, a bank transfer
    "pending": "PROCESSING",
    "processing": "PROCESSING",
    "queued": "PROCESSING",
    "success": "SUCCEEDED",
    "reversed": "SUCCEEDED",
    "failed": "FAILED",
}
EVENTS = {"charge.success": EventKind.PAYMENT_SUCCEEDED}
LIVE_REFUNDS = {"pending", "processing", "processed", "needs-attention"}  # not "failed": that one gave nothing back


class PaystackGateway(PaymentGateway):
    id = "paystack"
    name = "Paystack"
    currencies = ("NGN", "GHS", "ZAR", "KES", "USD")
    required_settings = ("PAYSTACK_SECRET_KEY", "PAYSTACK_PUBLIC_KEY")
    public_settings = {"publicKey": "PAYSTACK_PUBLIC_KEY"}

    def _call(self, method: str, path: str, **kwargs) -> dict | list:
        """Paystack's `data`. Timeouts and 5xx may have taken effect (definite=False); a 4xx is a refusal."""
        response = self.http(method, settings.PAYSTACK_API_BASE.rstrip("/") + path,
                             timeout=settings.PAYSTACK_TIMEOUT.total_seconds(),
                             headers={"Authorization": f"Bearer {settings.PAYSTACK_SECRET_KEY}"}, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or not body.get("status"):
            raise ProviderError(f"Paystack refused: {body.get('message') or response.status_code}")
        return body.get("data")

    def open_payment(self, request: PaymentRequest) -> Intent:
        reference = reference_for(request.idempotency_key, "ord-")
        body = {"email": request.email, "amount": request.minor, "currency": request.currency,
                "reference": reference, "metadata": request.metadata}
        if callback_url := request.data.get("callbackUrl"):  # where the buyer comes back (else the dashboard's)
            body["callback_url"] = str(callback_url)
        try:
            data = self._call("POST", "/transaction/initialize", json=body)
        except ProviderError as error:
            if "duplicate" not in str(error).lower():
                raise
            # An earlier try of this attempt was made but its answer lost (a timeout): no buyer has its
            # authorization URL, so nobody can pay it, and Paystack will not give the URL again. A fresh one.
            reference = body["reference"] = reference_for(f"{request.idempotency_key}-{uuid.uuid4()}", "ord-")
            data = self._call("POST", "/transaction/initialize", json=body)
        return Intent(reference, data.get("access_code", ""), "REQUIRES_PAYMENT_METHOD", request.minor,
                      request.currency, action=Action(ActionType.REDIRECT, url=data["authorization_url"],
                                                      reference=reference))

    def _verify(self, payment) -> dict:
        return self._call("GET", f"/transaction/verify/{quote(payment.intent_id, safe='')}")

    def fetch_status(self, payment) -> PaymentState:
        data = self._verify(payment)
        if data.get("reference") != payment.intent_id:
            raise ProviderError("Paystack answered for another transaction.")
        status = STATUSES.get(data.get("status", ""), "FAILED")
        amount = int(data.get("amount") or 0)
        return PaymentState(
            status, currency=str(data.get("currency", "")).upper(),
            received=amount if status == "SUCCEEDED" else None,
            refunded=amount if data.get("status") == "reversed" else None,
            failure=(data.get("gateway_response") or "") if status == "FAILED" else "",
            provider_data={"transaction_id": data["id"]} if data.get("id") else {},
        )

    def confirm_payment(self, payment, data: dict) -> PaymentState:
        """The buyer came back from the checkout page with `reference` (or `trxref`): it must be this attempt's,
        and what counts is what Paystack says of this attempt's own reference."""
        given = data.get("reference") or data.get("trxref")
        if given is not None and str(given) != payment.intent_id:
            raise InvalidProof("the reference is not this order's payment.")
        return self.fetch_status(payment)

    def refund(self, payment, *, amount: int, idempotency_key: str) -> str:
        data = self._call("POST", "/refund", json={"transaction": payment.intent_id, "amount": amount,
                                                   "currency": payment.currency.upper(),
                                                   "merchant_note": idempotency_key})
        return str(data["id"])

    def find_refund(self, payment, *, amount: int, idempotency_key: str) -> str | None:
        """The refund made with `idempotency_key` (its merchant note), else one of `amount` we have not recorded."""
        transaction_id = payment.provider_data.get("transaction_id") or self._verify(payment)["id"]
        refunds = self._call("GET", "/refund", params={"transaction": transaction_id,
                                                       "currency": payment.currency.upper()}) or []
        known = {str(each) for each in payment.refunds.exclude(refund_id="").values_list("refund_id", flat=True)}
        unknown = [each for each in refunds if str(each["id"]) not in known and each.get("status") in LIVE_REFUNDS]
        for each in unknown:
            if each.get("merchant_note") == idempotency_key:
                return str(each["id"])
        for each in unknown:
            if not each.get("merchant_note") and int(each.get("amount", 0)) == amount:
                return str(each["id"])
        return None

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        given = headers.get("x-paystack-signature") or ""
        expected = hmac.new(settings.PAYSTACK_SECRET_KEY.encode(), body, hashlib.sha512).hexdigest()
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise InvalidWebhook("The x-paystack-signature header does not match the body.")
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise InvalidWebhook("The body is not JSON.") from error
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise InvalidWebhook("The body is not a Paystack event.")
        return self.read_event(payload)

    def read_event(self, payload: dict) -> ProviderEvent:
        type_, data = payload.get("event", ""), payload.get("data") or {}
        kind = EVENTS.get(type_, EventKind.OTHER)
        return ProviderEvent(id="", type=type_, kind=kind, payload=payload, reread=True,
                             intent_id=str(data.get("reference") or ""), status=str(data.get("status") or ""),
                             currency=str(data.get("currency", "")).upper())
