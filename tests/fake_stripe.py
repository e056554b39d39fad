"""Stripe's HTTP API, faked at its boundary: a small local server that answers the calls we make with Stripe's
JSON, so the real `stripe` library (pointed here by STRIPE_API_BASE) does everything else as in production.
Webhooks are not faked: `signed()` signs a payload exactly as Stripe does, and tests POST it to our endpoint.
The server, outage and slow modes and idempotency keys are tests/fakes/server.py's.

    fake.intents[id]       the PaymentIntents created, as Stripe would hold them
    fake.calls             (method, path, form, idempotency key) of every request
"""
import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import parse_qsl

from tests.fakes.server import FakeServer, Request

SECRET_KEY = "sk_test_fake_" + "x" * 24
WEBHOOK_SECRET = "whsec_test_" + "y" * 32


def _unflatten(pairs) -> dict:
    """Stripe's form encoding (metadata[order_id]=1) back into nested dicts."""
    result: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return result


class FakeStripe(FakeServer):
    outage_reply = (500, {"error": {"type": "api_error", "message": "Stripe is having a bad day."}})

    def __init__(self):
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        super().__init__()

    def clear(self):
        self.intents.clear(), self.refunds.clear()

    def record(self, request: Request) -> tuple:
        """(method, path, form, idempotency key), the form's nesting restored."""
        return request.method, request.path, _unflatten(parse_qsl(request.body.decode())), self.key_of(request)

    def conflict(self, request: Request) -> tuple[int, dict]:
        return 400, {"error": {"type": "idempotency_error", "message": "Keys for idempotent requests can only be "
                               "used with the same parameters they were first used with."}}

    # --- what Stripe would answer

    def route(self, request: Request) -> tuple[int, dict]:
        return self._route(request.method, request.path, _unflatten(parse_qsl(request.body.decode())))

    def _route(self, method: str, path: str, form: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")[1:]  # after "v1"
        if parts == ["payment_intents"] and method == "POST":
            intent_id = f"pi_{uuid.uuid4().hex[:24]}"
            intent = {"id": intent_id, "object": "payment_intent", "amount": int(form["amount"]),
                      "amount_received": 0, "currency": form["currency"], "status": "requires_payment_method",
                      "client_secret": f"{intent_id}_secret_{uuid.uuid4().hex[:16]}",
                      "metadata": form.get("metadata", {})}
            self.intents[intent_id] = intent
            return 200, intent
        if len(parts) >= 2 and parts[0] == "payment_intents" and parts[1] in self.intents:
            intent = self.intents[parts[1]]
            if parts[2:] == ["cancel"]:
                if intent["status"] in {"succeeded", "processing"}:
                    return 400, {"error": {"type": "invalid_request_error", "message": "You cannot cancel this "
                                           f"PaymentIntent because it has a status of {intent['status']}."}}
                intent["status"] = "canceled"
            return 200, intent
        if parts == ["refunds"] and method == "POST":
            intent = self.intents.get(form["payment_intent"], {})
            amount = int(form["amount"])
            if amount > intent.get("amount_received", 0) - intent.get("amount_refunded", 0):
                return 400, {"error": {"type": "invalid_request_error", "code": "charge_already_refunded",
                                       "message": "Refund amount is greater than the unrefunded amount."}}
            intent["amount_refunded"] = intent.get("amount_refunded", 0) + amount
            refund = {"id": f"re_{uuid.uuid4().hex[:24]}", "object": "refund", "amount": amount,
                      "payment_intent": form["payment_intent"], "status": "succeeded", "currency": "usd"}
            self.refunds[refund["id"]] = refund
            return 200, refund
        return 404, {"error": {"type": "invalid_request_error", "message": f"No such route {method} {path}"}}

    # --- what a customer's bank would make happen, and the event Stripe would send about it

    def succeed(self, intent_id: str, *, amount: int | None = None, currency: str | None = None) -> dict:
        intent = self.intents[intent_id]
        intent.update(status="succeeded", amount_received=intent["amount"] if amount is None else amount)
        if currency:
            intent["currency"] = currency
        return event("payment_intent.succeeded", dict(intent))

    def fail(self, intent_id: str, message: str = "Your card was declined.") -> dict:
        intent = self.intents[intent_id]
        intent.update(status="requires_payment_method", last_payment_error={"message": message})
        return event("payment_intent.payment_failed", dict(intent))

    def refunded(self, intent_id: str, amount_refunded: int | None = None) -> dict:
        """The charge.refunded event; by default for what was refunded through the API so far."""
        intent = self.intents[intent_id]
        amount_refunded = intent.get("amount_refunded", 0) if amount_refunded is None else amount_refunded
        charge = {"id": f"ch_{intent_id[3:]}", "object": "charge", "payment_intent": intent_id,
                  "amount": intent["amount"], "amount_refunded": amount_refunded, "currency": intent["currency"],
                  "refunded": amount_refunded >= intent["amount"]}
        return event("charge.refunded", charge)


def event(type_: str, obj: dict) -> dict:
    return {"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": type_, "api_version": "2025-01-01",
            "created": int(time.time()), "livemode": False, "data": {"object": obj}}


def signed(payload: dict | str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    """The body and the `Stripe-Signature` header Stripe would send: HMAC-SHA256 of "<t>.<body>"."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), f"t={timestamp},v1={signature}"
