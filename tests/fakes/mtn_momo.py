"""MTN MoMo's Collections and Disbursements APIs, faked at their boundary: tokens from Basic auth and the product's
subscription key, `requesttopay` (202, then its status by GET), the disbursement refund, MTN's 409 for an
X-Reference-Id used twice (MTN keeps no replies for idempotency keys: a duplicate is refused), and its error JSON.
MTN signs no callback, so there is nothing to sign: `callback(reference)` is the body MTN POSTs or PUTs to the
X-Callback-Url (its status body, which names our externalId, not the reference). Outage and slow modes are the
base's (tests/fakes/server.py).

    fake.requests[ref]    the requests to pay, as MTN holds them (a buyer approves with approve(ref))
    fake.refunds[ref]     the refunds made
    fake.tokens           tokens handed out, per product; fake.expires_in their lifetime
"""
import base64
import uuid

from tests.fakes.server import FakeServer, Request

API_USER, API_KEY, SUBSCRIPTION_KEY = str(uuid.UUID(int=1)), "momo-api-key-" + "k" * 19, "sub-" + "s" * 28
PAYOUT_USER, PAYOUT_KEY, PAYOUT_SUBSCRIPTION_KEY = str(uuid.UUID(int=2)), "momo-payout-key-" + "p" * 16, "dsub-" + "d" * 27
SETTINGS = {"MTN_MOMO_SUBSCRIPTION_KEY": SUBSCRIPTION_KEY, "MTN_MOMO_API_USER": API_USER,
            "MTN_MOMO_API_KEY": API_KEY, "MTN_MOMO_TARGET_ENVIRONMENT": "mtnuganda",
            "MTN_MOMO_CALLBACK_URL": "https://shop.example/webhooks/mtn-momo/"}
DISBURSEMENT_SETTINGS = {"MTN_MOMO_DISBURSEMENT_API_USER": PAYOUT_USER, "MTN_MOMO_DISBURSEMENT_API_KEY": PAYOUT_KEY,
                         "MTN_MOMO_DISBURSEMENT_SUBSCRIPTION_KEY": PAYOUT_SUBSCRIPTION_KEY}
CREDENTIALS = {"collection": (API_USER, API_KEY, SUBSCRIPTION_KEY),
               "disbursement": (PAYOUT_USER, PAYOUT_KEY, PAYOUT_SUBSCRIPTION_KEY)}


def error(status: int, code: str, message: str) -> tuple[int, dict]:
    return status, {"code": code, "message": message}


class FakeMtnMomo(FakeServer):
    idempotency_header = None  # MTN answers 409 to a reused X-Reference-Id instead of replaying
    outage_reply = error(500, "INTERNAL_PROCESSING_ERROR", "An internal error occurred while processing.")

    def __init__(self):
        self.requests: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.tokens: dict[str, list[str]] = {"collection": [], "disbursement": []}
        self.expires_in = 3600
        super().__init__()

    def clear(self):
        self.requests.clear(), self.refunds.clear()
        self.tokens = {"collection": [], "disbursement": []}
        self.expires_in = 3600

    # --- what MTN would answer

    def route(self, request: Request) -> tuple[int, object]:
        product, _, rest = request.path.strip("/").partition("/")
        if product not in CREDENTIALS:
            return error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
        user, key, subscription = CREDENTIALS[product]
        if request.headers.get("ocp-apim-subscription-key") != subscription:
            return 401, {"statusCode": 401, "message": "Access denied due to invalid subscription key."}
        if rest == "token" and request.method == "POST":
            basic = "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()
            if request.headers.get("authorization") != basic:
                return 401, {"error": "login_failed"}
            token = f"{product}-{uuid.uuid4().hex}"
            self.tokens[product].append(token)
            return 200, {"access_token": token, "token_type": "access_token", "expires_in": self.expires_in}
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens[product]:
            return 401, {"statusCode": 401, "message": "Access token is missing or invalid."}
        if not request.headers.get("x-target-environment"):
            return error(400, "INVALID_TARGET_ENVIRONMENT", "X-Target-Environment is missing.")
        return self._product(product, request, rest.split("/"))

    def _product(self, product: str, request: Request, parts: list[str]) -> tuple[int, object]:
        held = self.requests if product == "collection" else self.refunds
        kind = "requesttopay" if product == "collection" else "refund"
        if parts[:2] == ["v1_0", kind] and request.method == "POST" and len(parts) == 2:
            reference = request.headers.get("x-reference-id", "")
            try:
                uuid.UUID(reference)
            except ValueError:
                return error(400, "INVALID_REFERENCE_ID", "X-Reference-Id must be a UUID.")
            if reference in held:
                return error(409, "RESOURCE_ALREADY_EXIST", "Duplicated reference id. Creation of resource failed.")
            body = request.json
            if not isinstance(body.get("amount"), str) or not body.get("currency"):
                return error(400, "INVALID_AMOUNT", "amount must be a string, with a currency.")
            held[reference] = self._refund(body) if kind == "refund" else {**body, "status": "PENDING"}
            held[reference]["callback_url"] = request.headers.get("x-callback-url", "")
            return 202, b""
        if parts[:2] == ["v1_0", kind] and request.method == "GET" and len(parts) == 3:
            if parts[2] not in held:
                return error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
            return 200, {k: v for k, v in held[parts[2]].items() if k not in {"callback_url", "refunded"}}
        return error(404, "RESOURCE_NOT_FOUND", f"No such route {request.method} {request.path}")

    def _refund(self, body: dict) -> dict:
        """A refund of a successful request to pay, up to what it has left; MTN fails one that is not."""
        paid = self.requests.get(body.get("referenceIdToRefund", ""), {})
        left = float(paid.get("amount", 0)) - paid.get("refunded", 0.0)
        refund = {"amount": body["amount"], "currency": body["currency"], "externalId": body.get("externalId", ""),
                  "payee": paid.get("payer", {}), "payerMessage": body.get("payerMessage", ""),
                  "payeeNote": body.get("payeeNote", "")}
        if paid.get("status") != "SUCCESSFUL" or float(body["amount"]) > left + 1e-9:
            return {**refund, "status": "FAILED", "reason": {"code": "NOT_ENOUGH_FUNDS", "message": "Not enough."}}
        paid["refunded"] = paid.get("refunded", 0.0) + float(body["amount"])
        return {**refund, "status": "SUCCESSFUL", "financialTransactionId": str(uuid.uuid4().int)[:10]}

    # --- what the buyer does on their phone, and the callback MTN sends about it

    def approve(self, reference: str, *, amount: str | None = None, currency: str | None = None) -> dict:
        held = self.requests[reference]
        held.update(status="SUCCESSFUL", financialTransactionId=str(uuid.uuid4().int)[:10])
        if amount:
            held["amount"] = amount
        if currency:
            held["currency"] = currency
        return self.callback(reference)

    def decline(self, reference: str, reason: str = "APPROVAL_REJECTED") -> dict:
        self.requests[reference].update(status="FAILED", reason=reason)
        return self.callback(reference)

    def callback(self, reference: str) -> dict:
        """The body MTN sends to the X-Callback-Url: the request's status, as GET answers it."""
        return {k: v for k, v in self.requests[reference].items() if k not in {"callback_url", "refunded"}}
