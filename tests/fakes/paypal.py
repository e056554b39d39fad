"""PayPal's REST API, faked at its boundary: OAuth client credentials, Orders v2, captures' refunds and the
verify-webhook-signature call, with PayPal's JSON and error shapes, for our gateway pointed here by PAYPAL_API_BASE.

Webhooks are signed as PayPal signs them: RSA-SHA256 over "<transmission id>|<transmission time>|<webhook id>|
<CRC32 of the raw body>", with the certificate at PAYPAL-CERT-URL. `signed()` does that with this module's key, and
the fake's verify call checks it with the public half, on the bytes of `webhook_event` as our gateway sent them.

    fake.orders[id]          the orders, as PayPal holds them
    fake.approve(id, ...)    what the buyer does at PayPal; returns the CHECKOUT.ORDER.APPROVED event
    fake.captures            how many captures PayPal made (one per order, whoever asks)
    fake.tokens              the access tokens PayPal takes now (clear it: every token is revoked)
"""
import base64
import datetime as dt
import json
import secrets
import uuid
import zlib
from decimal import Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.server import FakeServer, Request

CLIENT_ID = "AbCdEf-fake-client-id"
CLIENT_SECRET = "EFgh-fake-client-secret"
WEBHOOK_ID = "8PT597110X687430LKGECATA"
CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-fake"
SETTINGS = {"PAYPAL_CLIENT_ID": CLIENT_ID, "PAYPAL_CLIENT_SECRET": CLIENT_SECRET, "PAYPAL_WEBHOOK_ID": WEBHOOK_ID}
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _id() -> str:
    return secrets.token_hex(9).upper()[:17]


def error(status: int, name: str, issue: str, description: str = "") -> tuple[int, dict]:
    return status, {"name": name, "message": description or issue, "debug_id": secrets.token_hex(7),
                    "details": [{"issue": issue, "description": description or issue}]}


def _signed_text(transmission_id: str, time: str, webhook_id: str, body: bytes) -> bytes:
    return f"{transmission_id}|{time}|{webhook_id}|{zlib.crc32(body)}".encode()


class FakePayPal(FakeServer):
    idempotency_header = "PayPal-Request-Id"
    outage_reply = (503, {"name": "SERVICE_UNAVAILABLE", "message": "Service Unavailable.", "debug_id": "0"})

    def __init__(self):
        self.orders: dict[str, dict] = {}
        self.tokens: set[str] = set()
        self.captures = 0
        self.capture_amounts: dict[str, str] = {}  # order id -> the amount its capture takes, where not the order's
        self.declines: set[str] = set()  # order ids whose capture PayPal declines (the buyer's card)
        super().__init__()

    def clear(self):
        self.orders.clear(), self.capture_amounts.clear(), self.declines.clear()
        self.captures = 0

    def conflict(self, request: Request) -> tuple[int, dict]:
        """PayPal answers a repeated PayPal-Request-Id with the first answer, whatever the body."""
        return self._replies[self.key_of(request)][1]

    def answer(self, request: Request) -> tuple[int, object]:
        """A call with a token PayPal does not take is refused before its PayPal-Request-Id is looked at."""
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if request.path != "/v1/oauth2/token" and token not in self.tokens and not self.failing:
            with self.lock:
                self.calls.append(self.record(request))
            return 401, {"error": "invalid_token", "error_description": "Token signature verification failed"}
        return super().answer(request)

    # --- what PayPal would answer

    def route(self, request: Request) -> tuple[int, object]:
        if request.path == "/v1/oauth2/token" and request.method == "POST":
            return self._token(request)
        parts = request.path.strip("/").split("/")
        if parts == ["v2", "checkout", "orders"] and request.method == "POST":
            return self._create(request.json)
        if parts[:3] == ["v2", "checkout", "orders"] and len(parts) >= 4:
            order = self.orders.get(parts[3])
            if order is None:
                return error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", "Specified resource ID does not exist.")
            if parts[4:] == ["capture"] and request.method == "POST":
                return self._capture(order)
            if len(parts) == 4 and request.method == "GET":
                return 200, order
        if parts[:3] == ["v2", "payments", "captures"] and parts[4:] == ["refund"] and request.method == "POST":
            return self._refund(parts[3], request.json)
        if parts == ["v1", "notifications", "verify-webhook-signature"] and request.method == "POST":
            return self._verify(request.body)
        return error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", f"No route {request.method} {request.path}")

    def _token(self, request: Request) -> tuple[int, dict]:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected or request.form.get("grant_type") != "client_credentials":
            return 401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
        token = "A21AA" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {"scope": "https://uri.paypal.com/services/payments/payment", "access_token": token,
                     "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": 32400,
                     "nonce": secrets.token_hex(8)}

    def _create(self, body: dict) -> tuple[int, dict]:
        units = body.get("purchase_units") or []
        if body.get("intent") not in {"CAPTURE", "AUTHORIZE"} or len(units) != 1:
            return error(400, "INVALID_REQUEST", "MISSING_REQUIRED_PARAMETER", "intent and purchase_units required")
        value = units[0].get("amount", {}).get("value", "")
        if not isinstance(value, str) or Decimal(value).as_tuple().exponent not in {0, -2}:
            return error(422, "UNPROCESSABLE_ENTITY", "DECIMAL_PRECISION", "The value must be a decimal string.")
        order_id = _id()
        links = [{"href": f"{self.base}/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"},
                 {"href": f"https://www.sandbox.paypal.com/checkoutnow?token={order_id}", "rel": "approve",
                  "method": "GET"},
                 {"href": f"{self.base}/v2/checkout/orders/{order_id}/capture", "rel": "capture", "method": "POST"}]
        now = _now()
        self.orders[order_id] = {"id": order_id, "intent": body["intent"], "status": "CREATED",
                                 "purchase_units": [dict(units[0])], "create_time": now, "links": links}
        return 201, self.orders[order_id]

    def _capture(self, order: dict) -> tuple[int, dict]:
        if order["status"] == "COMPLETED":
            return error(422, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED", "Order already captured.")
        if order["status"] != "APPROVED":
            return error(422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED", "Payer has not yet approved the Order.")
        if order["id"] in self.declines:
            return error(422, "UNPROCESSABLE_ENTITY", "INSTRUMENT_DECLINED", "The instrument presented was declined.")
        unit = order["purchase_units"][0]
        amount = {**unit["amount"], "value": self.capture_amounts.get(order["id"], unit["amount"]["value"])}
        capture_id = _id()
        unit["payments"] = {"captures": [{
            "id": capture_id, "status": "COMPLETED", "amount": amount, "final_capture": True,
            "custom_id": unit.get("custom_id"), "invoice_id": unit.get("invoice_id"),
            "supplementary_data": {"related_ids": {"order_id": order["id"]}},
            "create_time": _now(), "update_time": _now(),
            "links": [{"href": f"{self.base}/v2/payments/captures/{capture_id}", "rel": "self", "method": "GET"},
                      {"href": f"{self.base}/v2/payments/captures/{capture_id}/refund", "rel": "refund",
                       "method": "POST"},
                      {"href": f"{self.base}/v2/checkout/orders/{order['id']}", "rel": "up", "method": "GET"}]}]}
        order["status"] = "COMPLETED"
        self.captures += 1
        return 201, order

    def _refund(self, capture_id: str, body: dict) -> tuple[int, dict]:
        found = [(order, capture) for order in self.orders.values() for unit in order["purchase_units"]
                 for capture in unit.get("payments", {}).get("captures", []) if capture["id"] == capture_id]
        if not found:
            return error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", "Specified resource ID does not exist.")
        order, capture = found[0]
        payments = order["purchase_units"][0]["payments"]
        refunded = sum(Decimal(r["amount"]["value"]) for r in payments.get("refunds", []))
        remaining = Decimal(capture["amount"]["value"]) - refunded
        amount = body.get("amount") or {"value": str(remaining), "currency_code": capture["amount"]["currency_code"]}
        if Decimal(amount["value"]) > remaining:
            return error(422, "UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED",
                         "The refund amount must be less than or equal to the capture amount that has not yet "
                         "been refunded.")
        refund_id = _id()
        refund = {"id": refund_id, "status": "COMPLETED", "amount": amount, "custom_id": body.get("custom_id"),
                  "create_time": _now(), "update_time": _now(),
                  "links": [{"href": f"{self.base}/v2/payments/refunds/{refund_id}", "rel": "self", "method": "GET"},
                            {"href": f"{self.base}/v2/payments/captures/{capture_id}", "rel": "up", "method": "GET"}]}
        payments.setdefault("refunds", []).append(refund)
        capture["status"] = "REFUNDED" if Decimal(amount["value"]) == remaining else "PARTIALLY_REFUNDED"
        return 201, refund

    def _verify(self, body: bytes) -> tuple[int, dict]:
        """PayPal's check: the signature over the transmission and the CRC32 of `webhook_event`'s own bytes."""
        text = body.decode()
        sent = json.loads(text)
        start = text.index('"webhook_event"')
        start = text.index(":", start) + 1
        while text[start].isspace():
            start += 1
        _, end = json.JSONDecoder().raw_decode(text, start)
        event_bytes = text[start:end].encode()
        if sent.get("webhook_id") != WEBHOOK_ID:
            return error(404, "INVALID_RESOURCE_ID", "INVALID_RESOURCE_ID", "Webhook ID not found.")
        if sent.get("cert_url") != CERT_URL:  # PayPal only takes its own certificates
            return error(400, "VALIDATION_ERROR", "INVALID_CERT_URL", "The certificate URL is not PayPal's.")
        try:
            _KEY.public_key().verify(
                base64.b64decode(sent.get("transmission_sig", "")),
                _signed_text(sent["transmission_id"], sent["transmission_time"], sent["webhook_id"], event_bytes),
                padding.PKCS1v15(), hashes.SHA256())
            ok = sent.get("auth_algo") == "SHA256withRSA"
        except (InvalidSignature, ValueError, KeyError):
            ok = False
        return 200, {"verification_status": "SUCCESS" if ok else "FAILURE"}

    # --- what the buyer does at PayPal, and the events PayPal sends

    def approve(self, order_id: str, *, capture_amount: str | None = None) -> dict:
        """The buyer approves the order (`capture_amount`: what its capture will take, to make them differ)."""
        order = self.orders[order_id]
        order.update(status="APPROVED", payer={"email_address": "buyer@example.com", "payer_id": "QYR5Z8XDVJNXQ"})
        if capture_amount is not None:
            self.capture_amounts[order_id] = capture_amount
        return event("CHECKOUT.ORDER.APPROVED", "checkout-order", dict(order))

    def capture_event(self, order_id: str, type_: str = "PAYMENT.CAPTURE.COMPLETED") -> dict:
        (capture,) = self.orders[order_id]["purchase_units"][0]["payments"]["captures"]
        return event(type_, "capture", dict(capture))

    def refund_event(self, order_id: str) -> dict:
        refund = self.orders[order_id]["purchase_units"][0]["payments"]["refunds"][-1]
        return event("PAYMENT.CAPTURE.REFUNDED", "refund", dict(refund))


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(type_: str, resource_type: str, resource: dict) -> dict:
    event_id = f"WH-{_id()}-{_id()}"
    return {"id": event_id, "event_version": "1.0", "create_time": _now(), "resource_type": resource_type,
            "resource_version": "2.0", "event_type": type_, "summary": type_, "resource": resource,
            "links": [{"href": f"https://api.sandbox.paypal.com/v1/notifications/webhooks-events/{event_id}",
                       "rel": "self", "method": "GET"}]}


def signed(payload: dict, *, webhook_id: str = WEBHOOK_ID, at: dt.datetime | None = None,
           key=None, cert_url: str = CERT_URL) -> tuple[bytes, dict]:
    """The body and the headers PayPal would send (Django's HTTP_* names): its RSA-SHA256 transmission signature."""
    body = json.dumps(payload, indent=1).encode()  # not compact: the gateway must send these very bytes back
    transmission_id = str(uuid.uuid1())
    time = (at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = (key or _KEY).sign(_signed_text(transmission_id, time, webhook_id, body), padding.PKCS1v15(),
                                   hashes.SHA256())
    return body, {"HTTP_PAYPAL_TRANSMISSION_ID": transmission_id, "HTTP_PAYPAL_TRANSMISSION_TIME": time,
                  "HTTP_PAYPAL_TRANSMISSION_SIG": base64.b64encode(signature).decode(),
                  "HTTP_PAYPAL_CERT_URL": cert_url, "HTTP_PAYPAL_AUTH_ALGO": "SHA256withRSA"}


def as_http(headers: dict) -> dict:
    """signed()'s headers as an HTTP client sends them."""
    return {name.removeprefix("HTTP_").replace("_", "-"): value for name, value in headers.items()}
