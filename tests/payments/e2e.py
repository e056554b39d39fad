"""A guest's purchase end to end over real HTTP: daphne serving the app and a real worker process applying what
the provider sends, on PostgreSQL and Redis, for any gateway. A provider's test gives only its own steps:

    def test_a_guest_pays_with_paypal_end_to_end(postgres, redis_url, redis_key_prefix, transactional_db, store,
                                                 paypal, tmp_path):
        def approve_and_capture(base, placed):   # what the buyer and PayPal do once the order is placed
            ...   # e.g. fake.approve(placed["payment"]["action"]["reference"]), then orderPaymentConfirm or a
                  # signed webhook POSTed to f"{base}/webhooks/paypal/"
        guest_purchase_to_paid(gateway="paypal", env=paypal.env, pay=approve_and_capture, store=store,
                               tmp_path=tmp_path, redis_url=redis_url, redis_key_prefix=redis_key_prefix)
"""
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.servers import deployed_env, start_daphne, start_worker, stop

ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "line1": "1 Way", "city": "Berlin", "postalCode": "10115",
           "countryCode": "DE"}
CHECKOUT = """mutation ($t: String!, $g: String, $d: JSON) { checkoutComplete(cartToken: $t, gateway: $g, data: $d) {
  order { id token status } payment { id gateway status clientSecret amount { amount currency }
  action { type url reference data } } errors { field code } } }"""
CONFIRM = """mutation ($id: ID!, $t: String, $d: JSON!) { orderPaymentConfirm(id: $id, token: $t, data: $d) {
  order { status } payment { status } errors { field code } } }"""


def graphql(base: str, query: str, headers: dict | None = None, timeout: float = 30, **variables) -> dict:
    body = httpx.post(f"{base}/graphql/", json={"query": query, "variables": variables}, headers=headers or {},
                      timeout=timeout).json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    return payload


def delivered_ten_times(url: str, **request) -> None:
    """One webhook delivered ten times at once, as a provider's retries can arrive: each is answered 200, and
    exactly one is not a duplicate."""
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: httpx.post(url, timeout=30, **request), range(10)))
    assert [a.status_code for a in answers] == [200] * 10
    assert sum(not a.json()["duplicate"] for a in answers) == 1


def assert_paid_once(placed: dict) -> None:
    """The one event was recorded once and paid the order once, whatever the copies delivered."""
    from commerce.orders.models import Order
    from commerce.payments.models import WebhookEvent

    order = Order.objects.get(token=placed["order"]["token"])
    assert WebhookEvent.objects.count() == 1
    assert [e.type for e in order.events.all()] == ["PLACED", "PAYMENT_SUCCEEDED"]


def buy_as_a_guest(base: str, store, *, gateway: str | None = None, data: dict | None = None,
                   address: dict | None = None) -> dict:
    """Empty cart to UNPAID order, as a storefront does it; returns checkoutComplete's payload."""
    cart = graphql(base, """mutation ($v: ID!) { cartCreate(input: {email: "guest@example.com",
      lines: [{variantId: $v, quantity: 2}]}) { cart { token } errors { code } } }""", v=f"{store.mug_id}")["cart"]
    graphql(base, """mutation ($t: String!, $a: AddressInput!, $m: ID!) { cartUpdate(cartToken: $t,
      input: {shippingAddress: $a, shippingMethodId: $m}) { errors { code } } }""", t=cart["token"],
            a=address or ADDRESS, m=store.standard_id)
    return graphql(base, CHECKOUT, t=cart["token"], g=gateway, d=data)


def confirm(base: str, placed: dict, data: dict) -> dict:
    """orderPaymentConfirm as the buyer's client calls it, with the order's token."""
    return graphql(base, CONFIRM, id=placed["order"]["id"], t=placed["order"]["token"], d=data)


def order_status(base: str, token: str) -> dict:
    return graphql(base, "query ($t: String!) { order(token: $t) { status paymentStatus } }", t=token)


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def guest_purchase_to_paid(*, gateway: str, env: dict, pay: Callable[[str, dict], None], store, tmp_path, redis_url: str,
                           redis_key_prefix: str, data: dict | None = None, address: dict | None = None) -> dict:
    """Start a worker and daphne deployed with `env` (the gateway's settings), buy as a guest through `gateway`,
    run `pay(base, placed)` (the provider's steps), and wait until the order is PAID as the API reports it.
    Returns checkoutComplete's payload."""
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-{gateway}", **env)
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        web, base = start_daphne(env)
        try:
            placed = buy_as_a_guest(base, store, gateway=gateway, data=data, address=address)
            assert placed["errors"] == [] and placed["order"]["status"] == "UNPAID", placed
            assert placed["payment"]["gateway"] == gateway
            pay(base, placed)
            assert wait_for(lambda: order_status(base, placed["order"]["token"]) == {"status": "PAID",
                                                                                      "paymentStatus": "PAID"}), \
                (tmp_path / "worker.log").read_text()[-3000:]
        finally:
            stop(web)
    finally:
        stop(worker)
    return placed
