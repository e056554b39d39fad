"""A stand-in provider for demos, as Saleor's dummy gateway is: every payment it opens succeeds at once.

On when DEBUG is on and no real gateway is configured (the embedded demo), or when PAYMENTS_DEMO is set, which
also works with DEBUG off (a compose demo) and is shouted at start-up. Its intents are named `dummy_pi_...` so no
one mistakes them for money.
"""
import uuid

from django.conf import settings

from commerce.payments.gateways.base import Intent, PaymentGateway, PaymentRequest, PaymentState


def _named(prefix: str, key: str) -> str:
    return f"{prefix}{uuid.uuid5(uuid.NAMESPACE_URL, key).hex}"


class DemoGateway(PaymentGateway):
    id = "demo"
    name = "Demo (no money is taken)"

    @classmethod
    def missing_settings(cls) -> list[str]:
        from commerce.payments.gateways import real_gateway_configured

        on = settings.PAYMENTS_DEMO or (settings.DEBUG and not real_gateway_configured())
        return [] if on else ["PAYMENTS_DEMO"]

    @classmethod
    def is_partly_configured(cls) -> bool:
        return False

    def open_payment(self, request: PaymentRequest) -> Intent:
        intent_id = _named("dummy_pi_", request.idempotency_key)
        return Intent(intent_id, f"{intent_id}_secret_demo", "SUCCEEDED", request.minor, request.currency)

    def fetch_status(self, payment) -> PaymentState:
        return PaymentState("SUCCEEDED", received=self.minor(payment.amount, payment.currency),
                            currency=payment.currency.upper())

    def cancel_payment(self, payment) -> str:
        return "CANCELED"

    def refund(self, payment, *, amount: int, idempotency_key: str) -> str:
        return _named("dummy_re_", idempotency_key)
