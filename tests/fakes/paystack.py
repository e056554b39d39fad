"""Paystack's REST API, faked at its boundary (tests/fakes/server.py): transaction initialize and verify, refunds
created and listed, with Paystack's JSON envelopes ({"status": true, "message": ..., "data": ...}) and its
refusals (a duplicate reference, an unknown one). Webhooks are not faked: `signed()` signs a body exactly as
Paystack does (HMAC-SHA512 of the raw body with the secret key, hex, in `x-paystack-signature`).

    fake.transactions[reference]   as Paystack would hold them ("abandoned" until paid)
    fake.refunds[id]
    fake.pay(reference)            the buyer pays on the checkout page; returns the charge.success event
"""
import hashlib
import hmac
import json
import time
import uuid

from tests.fakes.server import FakeServer, Request

SECRET_KEY = "sk_test_" + "p" * 40
PUBLIC_KEY = "pk_test_" + "q" * 40


class FakePaystack(FakeServer):
    idempotency_header = None  # Paystack keeps none: the reference is the key, and refunds have none at all
    outage_reply = (500, {"status": False, "message": "An error occurred"})

    def __init__(self):
        self.transactions: dict[str, dict] = {}
        self.refunds: dict[int, dict] = {}
        super().__init__()

    def clear(self):
        self.transactions.clear(), self.refunds.clear()

    def route(self, request: Request) -> tuple[int, dict]:
        if request.headers.get("authorization") != f"Bearer {SECRET_KEY}":
            return 401, {"status": False, "message": "Invalid key"}
        parts = request.path.strip("/").split("/")
        if parts == ["transaction", "initialize"] and request.method == "POST":
            return self._initialize(request.json)
        if parts[:2] == ["transaction", "verify"] and len(parts) == 3 and request.method == "GET":
            if (transaction := self.transactions.get(parts[2])) is None:
                return 400, {"status": False, "message": "Transaction reference not found"}
            return 200, {"status": True, "message": "Verification successful", "data": transaction}
        if parts == ["refund"] and request.method == "POST":
            return self._refund(request.json)
        if parts == ["refund"] and request.method == "GET":
            listed = [r for r in self.refunds.values() if str(r["transaction"]) == request.query.get("transaction")]
            return 200, {"status": True, "message": "Refunds retrieved", "data": listed,
                         "meta": {"total": len(listed), "perPage": 50, "page": 1}}
        return 404, {"status": False, "message": f"No route {request.method} {request.path}"}

    def _initialize(self, body: dict) -> tuple[int, dict]:
        reference = body.get("reference") or uuid.uuid4().hex[:12]
        if reference in self.transactions:
            return 400, {"status": False, "message": "Duplicate Transaction Reference"}
        if not body.get("email") or int(body.get("amount") or 0) <= 0:
            return 400, {"status": False, "message": "Invalid Amount Sent"}
        access_code = uuid.uuid4().hex[:15]
        self.transactions[reference] = {
            "id": 4_000_000_000 + len(self.transactions) + 1, "domain": "test", "status": "abandoned",
            "reference": reference, "amount": int(body["amount"]), "currency": body.get("currency", "NGN"),
            "gateway_response": "The transaction was not completed", "paid_at": None, "channel": "card",
            "metadata": body.get("metadata") or "", "customer": {"email": body["email"]},
            "requested_amount": int(body["amount"]), "access_code": access_code,
            "callback_url": body.get("callback_url", ""),
        }
        return 200, {"status": True, "message": "Authorization URL created", "data": {
            "authorization_url": f"https://checkout.paystack.com/{access_code}", "access_code": access_code,
            "reference": reference}}

    def _refund(self, body: dict) -> tuple[int, dict]:
        key = str(body.get("transaction"))
        transaction = next((t for t in self.transactions.values() if key in {t["reference"], str(t["id"])}), None)
        if transaction is None:
            return 404, {"status": False, "message": "Transaction not found"}
        if transaction["status"] != "success":
            return 400, {"status": False, "message": "Cannot refund a transaction that is not successful"}
        amount = int(body.get("amount") or transaction["amount"])
        given = sum(r["amount"] for r in self.refunds.values() if r["transaction"] == transaction["id"])
        if amount > transaction["amount"] - given:
            return 400, {"status": False, "message": "Refund amount cannot be greater than transaction amount"}
        refund = {"id": 3_000_000 + len(self.refunds) + 1, "integration": 1, "domain": "test",
                  "transaction": transaction["id"], "dispute": None, "amount": amount, "deducted_amount": 0,
                  "currency": transaction["currency"], "channel": None, "fully_deducted": False,
                  "merchant_note": body.get("merchant_note", ""), "customer_note": body.get("customer_note", ""),
                  "status": "pending", "refunded_by": "shop@example.com", "expected_at": None}
        self.refunds[refund["id"]] = refund
        return 200, {"status": True, "message": "Refund has been queued for processing",
                     "data": {**refund, "transaction": dict(transaction)}}

    # --- what the buyer does on the checkout page, and the event Paystack sends about it

    def pay(self, reference: str, *, amount: int | None = None, currency: str | None = None) -> dict:
        transaction = self.transactions[reference]
        transaction.update(status="success", gateway_response="Successful", paid_at=time.strftime("%Y-%m-%dT%H:%M:%SZ"))
        if amount is not None:
            transaction["amount"] = amount
        if currency:
            transaction["currency"] = currency
        return {"event": "charge.success", "data": dict(transaction)}


def signed(payload: dict | str, *, secret: str = SECRET_KEY) -> tuple[bytes, str]:
    """The body and the `x-paystack-signature` header Paystack would send."""
    body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
    return body, hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()
