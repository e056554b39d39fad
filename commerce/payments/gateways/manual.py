"""Cash on delivery and bank transfer: the order waits, UNPAID, until staff say the money came (orderMarkPaid).

No provider is called: the payment opens at once awaiting the buyer (REQUIRES_ACTION, action NONE), staff's
word is its status, and its refunds are made by hand (recorded here as such). Its orders expire after
MANUAL_PAYMENT_EXPIRY_HOURS (0: never), not on the card payments' timer.
"""
from django.conf import settings

from commerce.payments.gateways.base import (
    Intent,
    PaymentGateway,
    PaymentRequest,
    PaymentState,
    ProviderError,
    manual_refund_id,
    reference_for,
)


class ManualGateway(PaymentGateway):
    id = "manual"
    name = "Cash on delivery or bank transfer"

    @classmethod
    def missing_settings(cls) -> list[str]:
        return [] if settings.MANUAL_PAYMENTS_ENABLED else ["MANUAL_PAYMENTS_ENABLED"]

    @classmethod
    def is_partly_configured(cls) -> bool:
        return False

    def open_payment(self, request: PaymentRequest) -> Intent:
        return Intent(reference_for(request.idempotency_key, "manual_"), "", "REQUIRES_ACTION", request.minor,
                      request.currency)

    def fetch_status(self, payment) -> PaymentState:
        return PaymentState(payment.status)  # staff's word, as recorded

    def cancel_payment(self, payment) -> str:
        return "SUCCEEDED" if payment.status == "SUCCEEDED" else "CANCELED"

    def refund(self, payment, *, amount: int, idempotency_key: str) -> str:
        if not payment.amount_received:
            raise ProviderError("Nothing was received to refund.")
        return manual_refund_id(idempotency_key)  # given back by hand, as staff record it
