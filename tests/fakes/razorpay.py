"""Razorpay's HTTP API, faked at its boundary: the Orders, Payments and Refunds calls our gateway makes, answered
with Razorpay's JSON (entities, collections, `{"error": {"code": "BAD_REQUEST_ERROR", ...}}`) to the official
`razorpay` library pointed here by RAZORPAY_API_BASE, Basic auth checked. What the buyer does in Razorpay
Checkout is `fake.pay(order_id)` (a captured payment) or `fake.fail(order_id)`; `proof(...)` is the handler's
three values as Checkout signs them, and `signed(event)` a webhook as Razorpay signs it. Refunds keep
X-Refund-Idempotency keys (tests/fakes/server.py).

    fake.orders[id], fake.payments[id], fake.refunds[id]   as Razorpay would hold them
"""
import base64
import hashlib
import hmac
import json
import time
import uuid

from tests.fakes.server import FakeServer, Request

KEY_ID = "rzp_test_" + "k" * 14
KEY_SECRET = "s" * 24
WEBHOOK_SECRET = "razorpay-webhook-secret"
SETTINGS = {"RAZORPAY_KEY_ID": KEY_ID, "RAZORPAY_KEY_SECRET": KEY_SECRET, "RAZORPAY_WEBHOOK_SECRET": WEBHOOK_SECRET}


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:14]}"


def _error(status: int, description: str, code: str = "BAD_REQUEST_ERROR") -> tuple[int, dict]:
    return status, {"error": {"code": code, "description": description, "source": "NA", "step": "NA",
                              "reason": "NA", "metadata": {}}}


class FakeRazorpay(FakeServer):
    idempotency_header = "X-Refund-Idempotency"
    outage_reply = _error(500, "We are facing some trouble completing your request at the moment.", "SERVER_ERROR")

    def __init__(self):
        self.orders: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        super().__init__()

    def clear(self):
        self.orders.clear(), self.payments.clear(), self.refunds.clear()

    def conflict(self, request: Request) -> tuple[int, dict]:
        return _error(400, "Different request with the same idempotency key has already been processed.")

    # --- what Razorpay would answer

    def route(self, request: Request) -> tuple[int, dict]:
        expected = "Basic " + base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return _error(401, "The api key provided is invalid")
        parts, method = request.path.strip("/").split("/")[1:], request.method  # after "v1"
        if parts == ["orders"] and method == "POST":
            return self._create_order(request.json)
        if parts == ["orders"] and method == "GET":
            return 200, _collection([o for o in self.orders.values()
                                     if "receipt" not in request.query or o["receipt"] == request.query["receipt"]])
        if len(parts) == 3 and parts[0] == "orders" and parts[2] == "payments" and parts[1] in self.orders:
            return 200, _collection([p for p in reversed(self.payments.values()) if p["order_id"] == parts[1]])
        if len(parts) >= 2 and parts[0] == "payments" and parts[1] in self.payments:
            if parts[2:] == ["refund"] and method == "POST":
                return self._refund(self.payments[parts[1]], request.json)
            if parts[2:] == []:
                return 200, self.payments[parts[1]]
        return _error(400, f"The id provided does not exist ({method} {request.path})")

    def _create_order(self, body: dict) -> tuple[int, dict]:
        if not isinstance(body.get("amount"), int) or body["amount"] < 100:
            return _error(400, "The amount must be atleast INR 1.00")
        order = {"id": _id("order"), "entity": "order", "amount": body["amount"], "amount_paid": 0,
                 "amount_due": body["amount"], "currency": body["currency"], "receipt": body.get("receipt"),
                 "offer_id": None, "status": "created", "attempts": 0, "notes": body.get("notes") or [],
                 "created_at": int(time.time())}
        self.orders[order["id"]] = order
        return 200, order

    def _refund(self, payment: dict, body: dict) -> tuple[int, dict]:
        amount = int(body.get("amount", payment["amount"] - payment["amount_refunded"]))
        if payment["status"] not in {"captured", "refunded"} or amount > payment["amount"] - payment["amount_refunded"]:
            return _error(400, "The refund amount provided is greater than amount captured")
        payment["amount_refunded"] += amount
        full = payment["amount_refunded"] >= payment["amount"]
        payment.update(refund_status="full" if full else "partial", status="refunded" if full else "captured")
        refund = {"id": _id("rfnd"), "entity": "refund", "amount": amount, "currency": payment["currency"],
                  "payment_id": payment["id"], "notes": body.get("notes") or [], "receipt": body.get("receipt"),
                  "acquirer_data": {"arn": None}, "created_at": int(time.time()), "batch_id": None,
                  "status": "processed", "speed_processed": "normal", "speed_requested": "normal"}
        self.refunds[refund["id"]] = refund
        return 200, refund

    # --- what the buyer does in Checkout, and what Razorpay then sends

    def pay(self, order_id: str, *, amount: int | None = None, currency: str | None = None) -> dict:
        """A payment of the order, captured (auto-capture on); `amount`/`currency` as a tampered checkout would."""
        order = self.orders[order_id]
        payment = self._payment(order, "captured", amount, currency)
        order.update(status="paid", amount_paid=payment["amount"], amount_due=0, attempts=order["attempts"] + 1)
        return payment

    def fail(self, order_id: str, description: str = "Payment failed due to insufficient funds") -> dict:
        order = self.orders[order_id]
        order.update(status="attempted", attempts=order["attempts"] + 1)
        return self._payment(order, "failed", None, None, error_code="BAD_REQUEST_ERROR",
                             error_description=description)

    def _payment(self, order: dict, status: str, amount, currency, **errors) -> dict:
        payment = {"id": _id("pay"), "entity": "payment", "amount": order["amount"] if amount is None else amount,
                   "currency": currency or order["currency"], "status": status, "order_id": order["id"],
                   "invoice_id": None, "international": False, "method": "card", "amount_refunded": 0,
                   "refund_status": None, "captured": status == "captured", "description": None,
                   "email": "guest@example.com", "contact": "+919000090000", "notes": [], "fee": None, "tax": None,
                   "error_code": None, "error_description": None, "created_at": int(time.time()), **errors}
        self.payments[payment["id"]] = payment
        return payment


def _collection(items: list) -> dict:
    return {"entity": "collection", "count": len(items), "items": items}


def proof(order_id: str, payment_id: str, *, secret: str = KEY_SECRET) -> dict:
    """What Checkout's handler gives the buyer's client: razorpay_signature = HMAC-SHA256("order|payment", key secret)."""
    signature = hmac.new(secret.encode(), f"{order_id}|{payment_id}".encode(), hashlib.sha256).hexdigest()
    return {"razorpay_order_id": order_id, "razorpay_payment_id": payment_id, "razorpay_signature": signature}


def event(type_: str, payment: dict, order: dict | None = None, refund: dict | None = None) -> dict:
    """A webhook body as Razorpay sends it: the entities it `contains`, each under payload.<name>.entity."""
    entities = {"payment": payment, **({"order": order} if order else {}), **({"refund": refund} if refund else {})}
    return {"entity": "event", "account_id": "acc_" + "a" * 14, "event": type_, "contains": list(entities),
            "payload": {name: {"entity": dict(entity)} for name, entity in entities.items()},
            "created_at": int(time.time())}


def signed(payload: dict, *, secret: str = WEBHOOK_SECRET, event_id: str | None = None) -> tuple[bytes, dict]:
    """The raw body and the headers Razorpay sends: X-Razorpay-Signature = HMAC-SHA256(body, webhook secret) and
    X-Razorpay-Event-Id (no timestamp: Razorpay signs none)."""
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Razorpay-Signature": signature, "X-Razorpay-Event-Id": event_id or uuid.uuid4().hex[:14]}
