"""A stand-in provider for the embedded demo (DEBUG on, no Stripe key), as Saleor's dummy gateway is.

Every payment it opens succeeds at once: the demo can be paid end to end without an account anywhere. Its
intents are named `dummy_...` so no one mistakes them for money. It is refused when DEBUG is off.
"""
import uuid

from commerce.payments.gateway import Intent, InvalidWebhook, ProviderEvent


class DummyGateway:
    name = "dummy"

    def open_payment(self, *, amount: int, currency: str, metadata: dict, idempotency_key: str) -> Intent:
        intent_id = f"dummy_pi_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex}"
        return Intent(intent_id, f"{intent_id}_secret_demo", "SUCCEEDED", amount, currency.upper())

    def cancel_payment(self, intent_id: str) -> str:
        return "CANCELED"

    def refund(self, *, intent_id: str, amount: int, idempotency_key: str) -> str:
        return f"dummy_re_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex}"

    def parse_webhook(self, body: bytes, signature: str | None) -> ProviderEvent:
        raise InvalidWebhook("The dummy gateway sends no webhooks.")
