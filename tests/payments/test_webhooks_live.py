"""Stripe's webhooks against the deployed processes on PostgreSQL: ten copies of one event at once, and a
guest going from an empty cart to PAID over HTTP with the event handled by a real worker process."""

import httpx
import pytest

from tests.fake_stripe import signed
from tests.payments.e2e import (
    assert_paid_once,
    buy_as_a_guest,
    delivered_ten_times,
    guest_purchase_to_paid,
    order_status,
    wait_for,
)
from tests.servers import deployed_env, start_daphne, stop

pytestmark = [pytest.mark.e2e]


def test_ten_copies_of_one_event_at_once_have_one_effect(postgres, transactional_db, store, stripe):
    web, base = start_daphne(deployed_env(REDIS_URL="", STRIPE_API_BASE=stripe.base))
    try:
        placed = buy_as_a_guest(base, store)
        intent_id = placed["payment"]["clientSecret"].split("_secret_")[0]
        body, signature = signed(stripe.succeed(intent_id))
        delivered_ten_times(f"{base}/webhooks/stripe/", content=body, headers={"Stripe-Signature": signature})
        assert wait_for(lambda: order_status(base, placed["order"]["token"])["status"] == "PAID")
    finally:
        stop(web)
    assert_paid_once(placed)


def test_a_guest_pays_and_a_worker_process_applies_stripes_event(
    postgres, redis_url, redis_key_prefix, transactional_db, store, stripe, tmp_path
):
    def pay_with_stripe_js(base: str, placed: dict) -> None:
        assert placed["payment"]["status"] == "REQUIRES_PAYMENT_METHOD"
        assert placed["payment"]["action"] == {"type": "CONFIRM_WITH_SDK", "url": None, "reference": None, "data": None}
        intent_id = placed["payment"]["clientSecret"].split("_secret_")[0]
        body, signature = signed(stripe.succeed(intent_id))  # the customer confirmed with Stripe.js
        response = httpx.post(f"{base}/webhooks/stripe/", content=body, headers={"Stripe-Signature": signature})
        assert response.status_code == 200

    guest_purchase_to_paid(gateway="stripe", env={"STRIPE_API_BASE": stripe.base}, pay=pay_with_stripe_js,
                           store=store, tmp_path=tmp_path, redis_url=redis_url, redis_key_prefix=redis_key_prefix)
