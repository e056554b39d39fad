"""A stand-in provider for the embedded demo (DEBUG on, no Stripe key), as Saleor's dummy gateway is.

Every payment it opens succeeds at once, so the demo can be paid end to end without an account anywhere; its
intents are named `dummy_...` so no one mistakes them for money, and it is refused when DEBUG is off.
"""
import uuid
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from commerce.payments.gateways.base import Intent, InvalidWebhook, ProviderEvent


class DummyGateway:
    name = "dummy"

    def __init__(self):
        if not self.is_configured():
            raise ImproperlyConfigured("The dummy gateway is for demos; it is refused when DEBUG is off.")

    @classmethod
    def is_configured(cls) -> bool:
        return settings.DEBUG

    def open_payment(self, *, amount: int, currency: str, metadata: dict, idempotency_key: str) -> Intent:
        intent_id = f"dummy_pi_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex}"
        return Intent(intent_id, f"{intent_id}_secret_demo", "SUCCEEDED", amount, currency.upper())

    def cancel_payment(self, intent_id: str) -> str:
        return "CANCELED"

    def refund(self, *, intent_id: str, amount: int, idempotency_key: str) -> str:
        return f"dummy_re_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex}"

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        raise InvalidWebhook("The dummy gateway sends no webhooks.")

    def read_event(self, payload: dict) -> ProviderEvent:
        raise InvalidWebhook("The dummy gateway sends no webhooks.")
