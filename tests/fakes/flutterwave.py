"""Flutterwave's v3 API, faked at its boundary: the calls our gateway makes, answered with Flutterwave's JSON
(`{"status": "success", "message": ..., "data": ...}`), so our HTTP client does everything as in production.
Webhooks are not faked: `pay()` makes the transaction the hosted page would, and answers the `charge.completed`
event Flutterwave would send; `signed()` adds the `verif-hash` header as Flutterwave does (the static secret).

    fake.checkouts[tx_ref]     what POST /v3/payments was asked (amount as sent, a decimal string)
    fake.transactions[id]      the transactions made at the hosted page, as verify answers them
    fake.refunds[id]           refunds made (Flutterwave takes no idempotency key for them)
"""
import itertools
import json
import uuid

from tests.fakes.server import FakeServer, Request

SECRET_KEY = "FLWSECK_TEST-" + "f" * 32 + "-X"
PUBLIC_KEY = "FLWPUBK_TEST-" + "p" * 32 + "-X"
SECRET_HASH = "flw-webhook-hash-" + "h" * 16
NOT_FOUND = (400, {"status": "error", "message": "No transaction was found for this id", "data": None})


class FakeFlutterwave(FakeServer):
    idempotency_header = None  # Flutterwave's v3 API keeps no idempotency keys
    outage_reply = (500, {"status": "error", "message": "Flutterwave is having a bad day.", "data": None})

    def __init__(self):
        self.checkouts: dict[str, dict] = {}
        self.transactions: dict[int, dict] = {}
        self.refunds: dict[int, dict] = {}
        self._ids = itertools.count(8_321_945)
        super().__init__()

    def clear(self):
        self.checkouts.clear(), self.transactions.clear(), self.refunds.clear()

    # --- what Flutterwave would answer

    def route(self, request: Request) -> tuple[int, dict]:
        if request.headers.get("authorization") != f"Bearer {SECRET_KEY}":
            return 401, {"status": "error", "message": "Invalid authorization key", "data": None}
        parts = request.path.strip("/").split("/")[1:]  # after "v3"
        if parts == ["payments"] and request.method == "POST":
            body = request.json
            missing = [k for k in ("tx_ref", "amount", "currency", "redirect_url", "customer") if not body.get(k)]
            if missing or not body["customer"].get("email"):
                return 400, {"status": "error", "message": f"{(missing or ['customer.email'])[0]} is required",
                             "data": None}
            self.checkouts[body["tx_ref"]] = body
            return 200, {"status": "success", "message": "Hosted Link",
                         "data": {"link": f"https://checkout.flutterwave.com/v3/hosted/pay/{uuid.uuid4().hex[:20]}"}}
        if parts == ["transactions", "verify_by_reference"] and request.method == "GET":
            found = [t for t in self.transactions.values() if t["tx_ref"] == request.query.get("tx_ref")]
            return (200, self._verified(found[-1])) if found else NOT_FOUND
        if len(parts) == 3 and parts[0] == "transactions" and parts[1].isdigit():
            transaction = self.transactions.get(int(parts[1]))
            if transaction is None:
                return NOT_FOUND
            if parts[2] == "verify" and request.method == "GET":
                return 200, self._verified(transaction)
            if parts[2] == "refund" and request.method == "POST":
                return self._refund(transaction, request.json)
        if parts == ["refunds"] and request.method == "GET":
            listed = [r for r in self.refunds.values() if "id" not in request.query or str(r["tx_id"]) == request.query["id"]]
            return 200, {"status": "success", "message": "Refunds fetched",
                         "meta": {"page_info": {"total": len(listed), "current_page": 1, "total_pages": 1}},
                         "data": listed}
        return 404, {"status": "error", "message": f"No route {request.method} {request.path}", "data": None}

    def _verified(self, transaction: dict) -> dict:
        return {"status": "success", "message": "Transaction fetched successfully", "data": dict(transaction)}

    def _refund(self, transaction: dict, body: dict) -> tuple[int, dict]:
        amount = float(body.get("amount") or transaction["amount"])
        refunded = sum(r["amount_refunded"] for r in self.refunds.values() if r["tx_id"] == transaction["id"])
        if transaction["status"] != "successful" or amount > transaction["amount"] - refunded + 1e-9:
            return 400, {"status": "error", "message": "Refund amount exceeds what can be refunded", "data": None}
        refund = {"id": next(self._ids), "account_id": 73362, "tx_id": transaction["id"],
                  "flw_ref": f"URF_{uuid.uuid4().hex[:16]}", "wallet_id": 74639, "amount_refunded": amount,
                  "status": "completed", "destination": "payment_source", "comments": body.get("comments", ""),
                  "meta": {"source": "availablebalance"}, "created_at": "2025-01-24T09:18:37.000Z"}
        self.refunds[refund["id"]] = refund
        return 200, {"status": "success", "message": "Transaction refund initiated", "data": refund}

    # --- what the buyer does at the hosted page, and the event Flutterwave sends about it

    def pay(self, tx_ref: str, *, amount: float | None = None, currency: str | None = None,
            status: str = "successful", payment_type: str = "mobilemoneygh") -> dict:
        """A transaction for `tx_ref` (by default paying what was asked), and its `charge.completed` event."""
        asked = self.checkouts[tx_ref]
        paid = float(asked["amount"]) if amount is None else amount
        transaction = {
            "id": next(self._ids), "tx_ref": tx_ref, "flw_ref": f"FLW-MOCK-{uuid.uuid4().hex[:12]}",
            "device_fingerprint": "N/A", "amount": paid, "currency": currency or asked["currency"],
            "charged_amount": paid, "app_fee": round(paid * 0.014, 2), "merchant_fee": 0,
            "processor_response": "Approved" if status == "successful" else "Declined", "auth_model": "MOBILEMONEY",
            "ip": "::ffff:10.5.179.3", "narration": "Demo Shop", "status": status, "payment_type": payment_type,
            "created_at": "2025-01-14T09:23:03.000Z", "account_id": 2508309, "meta": asked.get("meta"),
            "customer": {"id": 2571514, "name": "Ada Lovelace", "phone_number": "0244000000",
                         "email": asked["customer"]["email"], "created_at": "2025-01-14T09:22:55.000Z"},
        }
        self.transactions[transaction["id"]] = transaction
        return event(transaction)


def event(transaction: dict) -> dict:
    return {"event": "charge.completed", "data": dict(transaction), "event.type": "MOBILEMONEYGH_TRANSACTION"}


def signed(payload: dict | str, *, secret_hash: str = SECRET_HASH) -> tuple[bytes, dict]:
    """The body and headers Flutterwave would send: the dashboard's secret hash, as it is, in `verif-hash`."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return body.encode(), {"verif-hash": secret_hash}
