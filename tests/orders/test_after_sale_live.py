"""After the sale over real HTTP, as deployed: daphne and a worker process on PostgreSQL and Redis, Stripe faked at
its HTTP boundary. A guest's discounted, taxed order ships in two parts, a carrier's signed webhook delivers it,
the guest returns a shirt with the order's token, staff approve and receive it, and the refund reaches Stripe to
the cent; the worker emails each step with the tracking page's link."""
import json

import httpx
import pytest

from commerce import signing
from tests.fake_stripe import signed
from tests.mail import files_to
from tests.payments.e2e import ADDRESS, wait_for
from tests.servers import deployed_env, worker_and_daphne

pytestmark = [pytest.mark.e2e]
CARRIER_SECRET = "whsec_carrier_live"
TRACKING_PAGE = "https://shop.example/orders/{token}/"


class Client:
    def __init__(self, base: str, access: str | None = None):
        self.base, self.access = base, access

    def __call__(self, query: str, **variables) -> dict:
        headers = {"Authorization": f"Bearer {self.access}"} if self.access else {}
        body = httpx.post(f"{self.base}/graphql/", json={"query": query, "variables": variables}, headers=headers,
                          timeout=30).json()
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        assert not (isinstance(payload, dict) and payload.get("errors")), payload
        return payload


@pytest.fixture
def deployed(postgres, redis_url, redis_key_prefix, transactional_db, stripe, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-after-sale",
                       STRIPE_API_BASE=stripe.base, SHIPMENT_WEBHOOK_SECRET=CARRIER_SECRET,
                       ORDER_TRACKING_URL=TRACKING_PAGE, EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                       EMAIL_FILE_PATH=str(mail_dir))
    with worker_and_daphne(env, tmp_path) as base:
        yield base, mail_dir


def buy(guest: Client, store, stripe) -> dict:
    """3 shirts and a mug with 10% off, to Berlin, paid with a card: Stripe's event applied by the worker."""
    cart = guest("""mutation ($s: ID!, $m: ID!) { cartCreate(input: {email: "guest@example.com",
      lines: [{variantId: $s, quantity: 3}, {variantId: $m, quantity: 1}]}) { cart { token } errors { code } } }""",
                 s=store.shirt_id, m=store.mug_id)["cart"]
    guest("""mutation ($t: String!, $a: AddressInput!, $m: ID!) { cartUpdate(cartToken: $t,
      input: {shippingAddress: $a, shippingMethodId: $m}) { errors { code } } }""", t=cart["token"], a=ADDRESS,
          m=store.standard_id)
    guest("""mutation ($t: String!) { cartVoucherApply(cartToken: $t, code: "SAVE10") { errors { code } } }""",
          t=cart["token"])
    placed = guest("""mutation ($t: String!) { checkoutComplete(cartToken: $t) { order { id token
      total { amount } tax { amount } discount { amount } lines { id sku } } payment { clientSecret }
      errors { code } } }""", t=cart["token"])
    body, signature = signed(stripe.succeed(placed["payment"]["clientSecret"].split("_secret_")[0]))
    assert httpx.post(f"{guest.base}/webhooks/stripe/", content=body, headers={"Stripe-Signature": signature},
                      timeout=30).status_code == 200
    return placed["order"]


ORDER = """query ($t: String!) { order(token: $t) { status paymentStatus refundedTotal { amount } carrier
  trackingNumber shipments { status trackingNumber lines { quantity orderLine { sku } } } } }"""
SHIP = """mutation ($id: ID!, $l: [ShipmentLineInput!]!) { orderShip(id: $id, lines: $l, carrier: "DHL",
  trackingNumber: "JD1", trackingUrl: "https://dhl.example/JD1") { order { status } errors { code } } }"""
FULFILL = """mutation ($id: ID!) { orderFulfill(id: $id, carrier: "UPS", trackingNumber: "1Z2") {
  order { status } errors { code } } }"""
RETURN = """mutation ($o: ID!, $t: String!, $l: [ReturnLineInput!]!) { returnRequest(orderId: $o, token: $t,
  lines: $l, reason: "Too small") { orderReturn { id status } errors { field code } } }"""
DECIDE = """mutation ($id: ID!) { returnApprove(id: $id) { orderReturn { status } errors { code } } }"""
RECEIVE = """mutation ($id: ID!) { returnReceive(id: $id) { orderReturn { status refund { amount } payoutPending }
  errors { code } } }"""


def carrier_says(base: str, tracking_number: str, status: str) -> dict:
    body = json.dumps({"trackingNumber": tracking_number, "status": status,
                       "occurredAt": "2026-12-01T10:00:00+00:00"}).encode()
    response = httpx.post(f"{base}/webhooks/shipments/", content=body, timeout=30,
                          headers={signing.HEADER: signing.sign(body, CARRIER_SECRET)})
    assert response.status_code == 200
    return response.json()


def test_a_guest_order_ships_in_two_parts_and_a_return_is_refunded_to_the_cent(deployed, store, stripe, staff_user,
                                                                              tmp_path):
    from commerce.accounts import tokens

    base, mail_dir = deployed
    guest, shop = Client(base), Client(base, tokens.sign_in(staff_user).access)
    order = buy(guest, store, stripe)
    assert (order["total"], order["discount"], order["tax"]) == ({"amount": "115.73"}, {"amount": "10.25"},
                                                                  {"amount": "18.48"})
    token = order["token"]
    assert wait_for(lambda: guest(ORDER, t=token)["status"] == "PAID"), (tmp_path / "worker.log").read_text()[-3000:]
    shirt_line, mug_line = (line["id"] for line in order["lines"])

    assert shop(SHIP, id=order["id"], l=[{"orderLineId": shirt_line, "quantity": 2}])["order"]["status"] == \
        "PARTIALLY_FULFILLED"
    assert shop(FULFILL, id=order["id"])["order"]["status"] == "FULFILLED"
    seen = guest(ORDER, t=token)
    assert (seen["carrier"], seen["trackingNumber"]) == ("UPS", "1Z2")
    assert [(s["trackingNumber"], [(li["orderLine"]["sku"], li["quantity"]) for li in s["lines"]])
            for s in seen["shipments"]] == [("JD1", [(store.shirt.sku, 2)]),
                                            ("1Z2", [(store.shirt.sku, 1), (store.mug.sku, 1)])]
    assert carrier_says(base, "JD1", "DELIVERED") == {"received": True, "shipments": 1}
    assert guest(ORDER, t=token)["status"] == "FULFILLED"
    carrier_says(base, "1Z2", "DELIVERED")
    assert guest(ORDER, t=token)["status"] == "DELIVERED"

    asked = guest(RETURN, o=order["id"], t=token, l=[{"orderLineId": shirt_line, "quantity": 1}])["orderReturn"]
    assert asked["status"] == "REQUESTED"
    assert shop(DECIDE, id=asked["id"])["orderReturn"]["status"] == "APPROVED"
    received = shop(RECEIVE, id=asked["id"])["orderReturn"]
    assert received == {"status": "REFUNDED", "refund": {"amount": "32.13"}, "payoutPending": False}
    (intent,) = stripe.intents.values()
    assert intent["amount_refunded"] == 3213
    seen = guest(ORDER, t=token)
    assert (seen["status"], seen["paymentStatus"], seen["refundedTotal"]) == ("DELIVERED", "PARTIALLY_REFUNDED",
                                                                              {"amount": "32.13"})

    page = TRACKING_PAGE.format(token=token)
    expected = ["is partly on its way", "is on its way", "has been delivered", "is requested", "is approved",
                "is received"]
    assert wait_for(lambda: all(any(what in mail and page in mail for mail in files_to(mail_dir, "guest@example.com"))
                                for what in expected), timeout=30), files_to(mail_dir, "guest@example.com")
    (shipped_first,) = [m for m in files_to(mail_dir, "guest@example.com") if "is partly on its way" in m]
    assert "2 x Linen Shirt" in shipped_first and "https://dhl.example/JD1" in shipped_first
