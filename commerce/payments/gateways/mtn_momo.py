"""MTN Mobile Money through its Collections API, in plain HTTP (MTN's SDKs take no base-URL hook for a fake).

The buyer approves a request to pay on their phone (`requesttopay`, keyed by an `X-Reference-Id` UUID made from
our idempotency key, which is also the payment's intent id and the action's reference). Each product has its own
OAuth token (Basic auth of API user and key, plus the product's subscription key), cached until it expires.

What a callback proves: nothing. MTN signs no callback (a POST or a PUT to MTN_MOMO_CALLBACK_URL), so anyone may
send one saying anything. The gap is closed by never trusting it: the payment is polled by a job with backoff
until its status is final (`poll=True`), and a callback only wakes a read of the status sooner (`reread=True`).
Its identity includes MTN's financial transaction id, so a lying copy sent first cannot make the real one a
duplicate. A callback about no request of ours is refused.

Refunds go through the Disbursements API's refund where its own keys (MTN_MOMO_DISBURSEMENT_*) are set; without
them a refund is recorded for staff to pay out by hand (`manual_refund_id`), and the order says so.
MTN has no way to cancel a request the buyer may still approve: a PENDING one stays PROCESSING until MTN ends it.
"""
import json
import threading
import time

import requests
from django.conf import settings
from django.utils.functional import classproperty

from commerce.errors import DomainError
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
    manual_refund_id,
    reference_for,
)

STATUSES = {  # a status MTN adds later reads as PROCESSING: polled on, never counted as money
    "PENDING": "PROCESSING",
    "SUCCESSFUL": "SUCCEEDED",
    "FAILED": "FAILED",  # rejected, expired, not enough funds: the buyer may try again (orderPaymentCreate)
    "REJECTED": "FAILED",
    "TIMEOUT": "FAILED",
}
COLLECTION = ("collection", "MTN_MOMO_API_USER", "MTN_MOMO_API_KEY", "MTN_MOMO_SUBSCRIPTION_KEY")
DISBURSEMENT = ("disbursement", "MTN_MOMO_DISBURSEMENT_API_USER", "MTN_MOMO_DISBURSEMENT_API_KEY",
                "MTN_MOMO_DISBURSEMENT_SUBSCRIPTION_KEY")
CALLBACK = "requesttopay.callback"

_tokens: dict[tuple, tuple[str, float]] = {}  # (base, product, user) -> (token, monotonic expiry), per process
_tokens_lock = threading.Lock()


def msisdn(phone: str) -> str:
    """A phone number as MTN takes it: digits only, country code first, no "+" (an address's "+256 77 ..." too)."""
    return "".join(ch for ch in phone if ch.isdigit())


def _reason(body: dict) -> str:
    reason = body.get("reason") or ""
    return (reason.get("message") or reason.get("code") or "") if isinstance(reason, dict) else str(reason)


class MtnMomoGateway(PaymentGateway):
    id = "mtn-momo"
    name = "MTN Mobile Money"
    required_settings = COLLECTION[1:]

    @classproperty
    def currencies(cls) -> tuple[str, ...]:
        """MTN's sandbox takes only EUR; production takes the account's own currency (UGX, GHS, XAF...)."""
        return ("EUR",) if settings.MTN_MOMO_TARGET_ENVIRONMENT == "sandbox" else ()

    @classmethod
    def missing_settings(cls) -> list[str]:
        """The collection keys, and all three disbursement keys once any is set (refunds then go through them)."""
        missing = super().missing_settings()
        disbursement = [name for name in DISBURSEMENT[1:] if not getattr(settings, name, "")]
        return missing + disbursement if len(disbursement) < len(DISBURSEMENT[1:]) else missing

    @classmethod
    def is_partly_configured(cls) -> bool:
        return bool(cls.missing_settings()) and any(getattr(settings, n, "") for n in COLLECTION[1:] + DISBURSEMENT[1:])

    @classmethod
    def refunds_by_hand(cls) -> bool:
        return not all(getattr(settings, name, "") for name in DISBURSEMENT[1:])

    # --- HTTP

    def _token(self, product: tuple) -> str:
        name, user, key, subscription = (product[0], *(getattr(settings, each) for each in product[1:]))
        cache_key = (settings.MTN_MOMO_API_BASE, name, user)
        with _tokens_lock:
            token, expiry = _tokens.get(cache_key, ("", 0.0))
            if token and time.monotonic() < expiry:
                return token
        response = self.http("POST", f"{settings.MTN_MOMO_API_BASE}/{name}/token/", auth=(user, key),
                             headers={"Ocp-Apim-Subscription-Key": subscription},
                             timeout=settings.MTN_MOMO_TIMEOUT.total_seconds())
        if response.status_code != 200:
            raise ProviderError(f"MTN MoMo refused a {name} token: {response.status_code} {response.text[:200]}")
        body = response.json()
        lifetime = float(body.get("expires_in", 3600))
        with _tokens_lock:
            _tokens[cache_key] = (body["access_token"], time.monotonic() + lifetime - min(60.0, lifetime / 10))
        return body["access_token"]

    def _forget_token(self, product: tuple) -> None:
        with _tokens_lock:
            _tokens.pop((settings.MTN_MOMO_API_BASE, product[0], getattr(settings, product[1])), None)

    def _call(self, method: str, path: str, product: tuple = COLLECTION, *, reference: str = "",
              body: dict | None = None, callback: bool = False) -> requests.Response:
        """One API call with the product's token (fetched again once if MTN no longer takes it); 5xx and
        timeouts are ProviderError(definite=False), any other answer is the caller's to read."""
        headers = {"X-Target-Environment": settings.MTN_MOMO_TARGET_ENVIRONMENT,
                   "Ocp-Apim-Subscription-Key": getattr(settings, product[3])}
        if reference:
            headers["X-Reference-Id"] = reference
        if callback and settings.MTN_MOMO_CALLBACK_URL:
            headers["X-Callback-Url"] = settings.MTN_MOMO_CALLBACK_URL
        for attempt in range(2):
            headers["Authorization"] = f"Bearer {self._token(product)}"
            response = self.http(method, settings.MTN_MOMO_API_BASE + path, headers=headers, json=body,
                                 timeout=settings.MTN_MOMO_TIMEOUT.total_seconds())
            if response.status_code != 401 or attempt:
                break
            self._forget_token(product)
        return response

    def _read(self, path: str, product: tuple = COLLECTION) -> dict:
        response = self._call("GET", path, product)
        if response.status_code != 200:
            raise ProviderError(f"MTN MoMo answered {response.status_code} for {path}: {response.text[:200]}")
        return response.json()

    @staticmethod
    def _reference(idempotency_key: str, user_setting: str) -> str:
        """The X-Reference-Id for one of our keys: the same key, the same UUID (so a retry is MTN's duplicate),
        and another API user's shop never makes the same one."""
        return reference_for(f"{getattr(settings, user_setting)}:{idempotency_key}")

    # --- payments

    def open_payment(self, request: PaymentRequest) -> Intent:
        payer = msisdn(request.phone)
        if not payer:
            raise DomainError("MTN Mobile Money needs the payer's phone number: give `data.phone` (or an address "
                              "with one).", code="INVALID", field=["data", "phone"])
        reference = self._reference(request.idempotency_key, "MTN_MOMO_API_USER")
        note = f"Order {request.order_number}"
        body = {"amount": request.decimal, "currency": request.currency, "externalId": request.order_number,
                "payer": {"partyIdType": "MSISDN", "partyId": payer}, "payerMessage": note, "payeeNote": note}
        response = self._call("POST", "/collection/v1_0/requesttopay", reference=reference, body=body, callback=True)
        if response.status_code == 409:  # sent before and its answer lost: ours only if MTN holds what we asked
            held = self._read(f"/collection/v1_0/requesttopay/{reference}")
            if (held.get("externalId"), held.get("currency"), self.minor(held.get("amount", 0), request.currency)) != (
                    request.order_number, request.currency, request.minor):
                raise ProviderError(f"MTN MoMo holds another request under X-Reference-Id {reference}.")
        elif response.status_code != 202:
            raise ProviderError(f"MTN MoMo refused the request to pay: {response.status_code} {response.text[:200]}")
        return Intent(reference, "", STATUSES["PENDING"], request.minor, request.currency, poll=True,
                      action=Action(ActionType.APPROVE_ON_PHONE, reference=reference),
                      provider_data={"external_id": request.order_number, "payer": payer})

    def fetch_status(self, payment) -> PaymentState:
        held = self._read(f"/collection/v1_0/requesttopay/{payment.intent_id}")
        status = STATUSES.get(held.get("status", ""), "PROCESSING")
        currency = str(held.get("currency", "")).upper()
        return PaymentState(
            status, currency=currency, failure=_reason(held) if status == "FAILED" else "",
            received=self.minor(held.get("amount", 0), currency or payment.currency) if status == "SUCCEEDED" else None,
            provider_data={"financial_transaction_id": held["financialTransactionId"]}
            if held.get("financialTransactionId") else {},
        )

    def refund(self, payment, *, amount: int, idempotency_key: str) -> str:
        """Through the disbursement refund API (v1_0; v2_0 takes the same body), or recorded to be paid by hand."""
        if self.refunds_by_hand():
            return manual_refund_id(idempotency_key)
        reference = self._reference(idempotency_key, DISBURSEMENT[1])
        note = f"Refund, order {payment.provider_data.get('external_id', payment.order_id)}"
        body = {"amount": str(self.major(amount, payment.currency)), "currency": payment.currency.upper(),
                "externalId": idempotency_key, "payerMessage": note, "payeeNote": note,
                "referenceIdToRefund": payment.intent_id}
        response = self._call("POST", "/disbursement/v1_0/refund", DISBURSEMENT, reference=reference, body=body)
        if response.status_code not in {202, 409}:  # 409: made already, its answer lost
            raise ProviderError(f"MTN MoMo refused the refund: {response.status_code} {response.text[:200]}")
        try:
            held = self._read(f"/disbursement/v1_0/refund/{reference}", DISBURSEMENT)
        except ProviderError as error:  # asked for: retried with the same key (MTN's 409), then read again
            raise ProviderError(str(error), definite=False) from error
        if held.get("status") == "FAILED":
            raise ProviderError(f"MTN MoMo did not make the refund: {_reason(held) or 'failed'}")
        return reference

    # --- callbacks

    def parse_webhook(self, body: bytes, headers) -> ProviderEvent:
        """Unsigned, so only its form is checked: a JSON object with a status, about a request of ours."""
        try:
            payload = json.loads(body or b"null")
        except ValueError as error:
            raise InvalidWebhook("The callback is not JSON.") from error
        if not isinstance(payload, dict) or not isinstance(payload.get("status"), str):
            raise InvalidWebhook("The callback is not a request-to-pay status.")
        event = self.read_event(payload)
        if not event.intent_id:
            raise InvalidWebhook("The callback is about no request to pay of ours.")
        return event

    def read_event(self, payload: dict) -> ProviderEvent:
        return ProviderEvent(id="", type=CALLBACK, kind=EventKind.STATUS_CHANGED, reread=True, payload=payload,
                             intent_id=self._reference_of(payload),
                             status=f"{payload.get('status')}:{payload.get('financialTransactionId') or ''}")

    def _reference_of(self, payload: dict) -> str:
        """The X-Reference-Id a callback is about: given by some MTN deployments, else our latest request to pay
        for its externalId (MTN's callback body is the status body, which names only that)."""
        from commerce.payments.models import Payment

        ours = Payment.objects.filter(provider=self.id)
        if reference := str(payload.get("referenceId") or ""):
            return reference if ours.filter(intent_id=reference).exists() else ""
        external_id = str(payload.get("externalId") or "")
        found = ours.filter(provider_data__external_id=external_id).values_list("intent_id", flat=True).first()
        return found if external_id and found else ""
