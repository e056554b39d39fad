"""Stripe's webhooks against the deployed processes on PostgreSQL: ten copies of one event at once, and a
guest going from an empty cart to PAID over HTTP with the event handled by a real worker process."""
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from commerce.orders.models import Order
from commerce.payments.models import WebhookEvent
from tests.fake_stripe import signed
from tests.servers import deployed_env, start_daphne, start_worker, stop

pytestmark = [pytest.mark.e2e]
ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "line1": "1 Way", "city": "Berlin", "postalCode": "10115",
           "countryCode": "DE"}


def graphql(base: str, query: str, **variables) -> dict:
    body = httpx.post(f"{base}/graphql/", json={"query": query, "variables": variables}, timeout=30).json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    return payload


def buy_as_a_guest(base: str, store) -> dict:
    """Empty cart to UNPAID order, as a storefront does it; returns checkoutComplete's payload."""
    variant = f"{store.mug_id}"
    cart = graphql(base, """mutation ($v: ID!) { cartCreate(input: {email: "guest@example.com",
      lines: [{variantId: $v, quantity: 2}]}) { cart { token } errors { code } } }""", v=variant)["cart"]
    graphql(base, """mutation ($t: String!, $a: AddressInput!, $m: ID!) { cartUpdate(cartToken: $t,
      input: {shippingAddress: $a, shippingMethodId: $m}) { errors { code } } }""", t=cart["token"], a=ADDRESS,
            m=store.standard_id)
    return graphql(base, """mutation ($t: String!) { checkoutComplete(cartToken: $t) {
      order { token status } payment { status clientSecret } errors { code } } }""", t=cart["token"])


def order_status(base: str, token: str) -> dict:
    return graphql(base, "query ($t: String!) { order(token: $t) { status paymentStatus } }", t=token)


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_ten_copies_of_one_event_at_once_have_one_effect(postgres, transactional_db, store, stripe):
    web, base = start_daphne(deployed_env(REDIS_URL="", STRIPE_API_BASE=stripe.base))
    try:
        placed = buy_as_a_guest(base, store)
        intent_id = placed["payment"]["clientSecret"].split("_secret_")[0]
        body, signature = signed(stripe.succeed(intent_id))
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(lambda _: httpx.post(f"{base}/webhooks/stripe/", content=body, timeout=30,
                                                         headers={"Stripe-Signature": signature}), range(10)))
        assert [a.status_code for a in answers] == [200] * 10
        assert sum(not a.json()["duplicate"] for a in answers) == 1
        assert wait_for(lambda: order_status(base, placed["order"]["token"])["status"] == "PAID")
    finally:
        stop(web)
    order = Order.objects.get(token=placed["order"]["token"])
    assert WebhookEvent.objects.count() == 1
    assert [e.type for e in order.events.all()] == ["PLACED", "PAYMENT_SUCCEEDED"]


def test_a_guest_pays_and_a_worker_process_applies_stripes_event(
    postgres, redis_url, redis_key_prefix, transactional_db, store, stripe, tmp_path
):
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-pay", STRIPE_API_BASE=stripe.base)
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        web, base = start_daphne(env)
        try:
            placed = buy_as_a_guest(base, store)
            assert placed["order"]["status"] == "UNPAID" and placed["payment"]["status"] == "REQUIRES_PAYMENT_METHOD"
            intent_id = placed["payment"]["clientSecret"].split("_secret_")[0]
            body, signature = signed(stripe.succeed(intent_id))  # the customer confirmed with Stripe.js
            response = httpx.post(f"{base}/webhooks/stripe/", content=body, headers={"Stripe-Signature": signature})
            assert response.status_code == 200
            assert wait_for(lambda: order_status(base, placed["order"]["token"]) == {"status": "PAID",
                                                                                      "paymentStatus": "PAID"})
        finally:
            stop(web)
    finally:
        stop(worker)
