"""PayPal: Orders v2 created at checkout, approved by the buyer, captured once by whichever of the confirm call and
CHECKOUT.ORDER.APPROVED comes first, refunded through the capture, its webhooks verified by PayPal. PayPal's API is
the fake in tests/fakes/paypal.py (RSA-signed webhooks, PayPal's JSON); the gateway's HTTP client is real."""
import datetime as dt

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from commerce.orders.models import Order
from commerce.payments.models import WebhookEvent
from tests.carts.conftest import errors
from tests.fakes.gateway import gateway_fixture
from tests.fakes.paypal import SETTINGS, FakePayPal, as_http, signed
from tests.payments.e2e import (
    buy_as_a_guest,
    confirm,
    delivered_ten_times,
    guest_purchase_to_paid,
    order_status,
    wait_for,
)
from tests.payments.test_gateways import CONFIRM, checkout
from tests.payments.test_payments import REFUND, gid
from tests.payments.webhooks import deliver_in_process
from tests.servers import deployed_env, start_daphne, stop

paypal = gateway_fixture(FakePayPal, gateway="paypal", api_base_setting="PAYPAL_API_BASE", settings=SETTINGS)


def deliver(body: bytes, headers: dict):
    """POST an event to our webhook as PayPal does, then apply what was recorded, as its job would."""
    return deliver_in_process("paypal", body, headers)


def confirm_in_process(gql, placed: dict, data: dict) -> dict:
    return gql(CONFIRM, {"id": placed["order"]["id"], "t": placed["order"]["token"], "d": data}).ok()[
        "orderPaymentConfirm"]


@pytest.fixture
def placed(gql, store, ready_cart, paypal):
    return checkout(gql, ready_cart((store.shirt, 1)))


def test_checkout_creates_a_capture_order_for_the_exact_amount(placed, paypal):
    order = Order.objects.get(token=placed["order"]["token"])
    (paypal_order,) = paypal.orders.values()
    assert placed["payment"] == {
        "id": placed["payment"]["id"], "gateway": "paypal", "status": "REQUIRES_PAYMENT_METHOD", "clientSecret": None,
        "action": {"type": "CONFIRM_WITH_SDK", "reference": paypal_order["id"], "data": None,
                   "url": f"https://www.sandbox.paypal.com/checkoutnow?token={paypal_order['id']}"}}
    (create,) = paypal.calls_to("/v2/checkout/orders", "POST")
    assert create.json["intent"] == "CAPTURE" and create.headers["paypal-request-id"] == f"order-{order.pk}-payment-1"
    assert create.json["purchase_units"][0] == {
        "reference_id": order.number, "custom_id": str(order.pk), "invoice_id": order.number,
        "amount": {"currency_code": "USD", "value": str(order.total)}}


def test_the_token_is_reused_and_fetched_again_once_paypal_drops_it(gql, store, ready_cart, paypal):
    paypal.tokens.clear()  # whatever an earlier test left in the cache is revoked: refused once, then fetched again
    for _ in range(2):
        assert checkout(gql, ready_cart((store.mug, 1)))["order"]["status"] == "UNPAID"
    assert len(paypal.calls_to("/v1/oauth2/token")) == 1
    paypal.tokens.clear()
    assert checkout(gql, ready_cart((store.mug, 1)))["order"]["status"] == "UNPAID"
    assert len(paypal.calls_to("/v1/oauth2/token")) == 2 and len(paypal.orders) == 3


def test_the_buyers_approval_is_captured_once_by_the_confirm_and_the_event(gql, placed, paypal):
    reference = placed["payment"]["action"]["reference"]
    unapproved = confirm_in_process(gql, placed, {"orderID": reference})
    assert unapproved["order"]["status"] == "UNPAID" and paypal.captures == 0  # nothing to capture yet
    approved = paypal.approve(reference)
    paid = confirm_in_process(gql, placed, {"orderID": reference})
    assert paid == {"order": {"status": "PAID"}, "payment": {"status": "SUCCEEDED"}, "errors": []}
    assert deliver(*signed(approved)).status_code == 200  # the event's capture meets the same PayPal-Request-Id
    assert deliver(*signed(paypal.capture_event(reference))).status_code == 200
    assert paypal.captures == 1
    order = Order.objects.get(token=placed["order"]["token"])
    assert [e.type for e in order.events.all()] == ["PLACED", "PAYMENT_SUCCEEDED"]
    assert {c.headers["paypal-request-id"] for c in paypal.calls if c.path.endswith("/capture")} == {
        f"capture-{reference}"}


def test_a_confirm_with_another_orders_paypal_id_is_refused(gql, store, ready_cart, placed, paypal):
    other = checkout(gql, ready_cart((store.mug, 1)))["payment"]["action"]["reference"]
    paypal.approve(other)
    refused = confirm_in_process(gql, placed, {"orderID": other})
    assert errors(refused) == [(["data"], "INVALID")] and paypal.captures == 0
    assert Order.objects.get(token=placed["order"]["token"]).status == "UNPAID"


def test_a_capture_for_another_amount_is_flagged_not_paid(gql, placed, paypal):
    reference = placed["payment"]["action"]["reference"]
    paypal.approve(reference, capture_amount="1.00")
    confirm_in_process(gql, placed, {"orderID": reference})
    order = Order.objects.get(token=placed["order"]["token"])
    assert order.status == "UNPAID" and order.payments.get().flagged.startswith("Received 1 for an order of")


def test_a_declined_capture_fails_the_attempt_and_a_denied_one_too(gql, placed, paypal):
    reference = placed["payment"]["action"]["reference"]
    paypal.declines.add(reference)
    paypal.approve(reference)
    failed = confirm_in_process(gql, placed, {"orderID": reference})
    assert failed["order"]["status"] == "UNPAID" and failed["payment"]["status"] == "FAILED"
    assert [e.type for e in Order.objects.get(token=placed["order"]["token"]).events.all()] == [
        "PLACED", "PAYMENT_FAILED"]


def test_staff_refund_through_the_capture_and_the_event_agrees(gql, staff_user, placed, paypal):
    reference = placed["payment"]["action"]["reference"]
    paypal.approve(reference)
    confirm_in_process(gql, placed, {"orderID": reference})
    order = Order.objects.get(token=placed["order"]["token"])
    part = gql.login(staff_user)(REFUND, {"id": gid(order), "amount": "10.00"}).ok()["orderRefund"]
    assert part["order"]["paymentStatus"] == "PARTIALLY_REFUNDED"
    (call,) = [c for c in paypal.calls if c.path.endswith("/refund")]
    capture_id = order.payments.get().provider_data["capture_id"]
    assert call.path == f"/v2/payments/captures/{capture_id}/refund"
    assert call.json == {"amount": {"currency_code": "USD", "value": "10.00"}, "custom_id": reference}
    assert call.headers["paypal-request-id"].startswith("refund-")
    assert deliver(*signed(paypal.refund_event(reference))).status_code == 200  # PayPal's account of it, re-read
    assert WebhookEvent.objects.get().outcome == "applied as read from the provider: SUCCEEDED"
    rest = gql(REFUND, {"id": gid(order)}).ok()["orderRefund"]["order"]
    assert rest["status"] == "CANCELLED" and rest["paymentStatus"] == "REFUNDED"
    assert [r["amount"]["value"] for r in paypal.orders[reference]["purchase_units"][0]["payments"]["refunds"]] == [
        "10.00", str(order.total - 10)]


@pytest.mark.parametrize("forgery", ["another key", "tampered body", "another webhook id", "no signature",
                                     "stale", "future", "a certificate URL of ours"])
def test_forged_missing_stale_and_future_webhooks_are_refused_and_nothing_is_recorded(placed, paypal, forgery):
    reference = placed["payment"]["action"]["reference"]
    event = paypal.approve(reference)
    now = dt.datetime.now(dt.UTC)
    body, headers = signed(event, **{
        "another key": {"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
        "another webhook id": {"webhook_id": "SOMEONE-ELSES"},
        "stale": {"at": now - dt.timedelta(seconds=330)},  # the tolerance is 300 s; seconds are all PayPal sends
        "future": {"at": now + dt.timedelta(seconds=330)},
        "a certificate URL of ours": {"cert_url": f"{paypal.base}/internal/secrets"},
    }.get(forgery, {}))
    if forgery == "tampered body":
        body = body.replace(reference.encode(), b"0" * len(reference))
    if forgery == "no signature":
        headers.pop("HTTP_PAYPAL_TRANSMISSION_SIG")
    assert deliver(body, headers).status_code == 400
    assert WebhookEvent.objects.count() == 0 and paypal.captures == 0
    assert not paypal.calls_to("/internal/secrets")  # a certificate URL from a request is never fetched
    if forgery in {"no signature", "stale", "future"}:  # refused before PayPal is asked
        assert not paypal.calls_to("/v1/notifications/verify-webhook-signature")


def test_an_event_paypal_cannot_verify_now_is_not_recorded_and_asked_again(placed, paypal):
    body, headers = signed(paypal.approve(placed["payment"]["action"]["reference"]))
    paypal.failing = True
    assert deliver(body, headers).status_code == 503 and WebhookEvent.objects.count() == 0


def test_an_outage_leaves_the_order_unpaid_with_a_provider_error(gql, store, ready_cart, paypal):
    paypal.failing = True
    payload = checkout(gql, ready_cart((store.mug, 1)))
    assert payload["order"]["status"] == "UNPAID" and errors(payload) == [(None, "PAYMENT_PROVIDER_ERROR")]


@pytest.mark.e2e
def test_ten_copies_of_the_approval_at_once_capture_once(postgres, transactional_db, store, paypal):
    web, base = start_daphne(deployed_env(REDIS_URL="", **paypal.env))
    try:
        placed = buy_as_a_guest(base, store, gateway="paypal")
        body, headers = signed(paypal.approve(placed["payment"]["action"]["reference"]))
        delivered_ten_times(f"{base}/webhooks/paypal/", content=body, headers=as_http(headers))
        assert wait_for(lambda: order_status(base, placed["order"]["token"])["status"] == "PAID")
    finally:
        stop(web)
    order = Order.objects.get(token=placed["order"]["token"])
    assert WebhookEvent.objects.count() == 1 and paypal.captures == 1
    assert [e.type for e in order.events.all()] == ["PLACED", "PAYMENT_SUCCEEDED"]


@pytest.mark.e2e
def test_a_guest_pays_with_paypal_end_to_end(postgres, redis_url, redis_key_prefix, transactional_db, store, paypal,
                                             tmp_path):
    def approve_at_paypal(base: str, placed: dict) -> None:
        reference = placed["payment"]["action"]["reference"]
        body, headers = signed(paypal.approve(reference))  # the buyer approved in the PayPal JS SDK's popup
        response = httpx.post(f"{base}/webhooks/paypal/", content=body, headers=as_http(headers), timeout=30)
        assert response.status_code == 200  # the worker captures it...
        confirm(base, placed, {"orderID": reference})  # ...and so does onApprove's confirm: PayPal captures once

    guest_purchase_to_paid(gateway="paypal", env=paypal.env, pay=approve_at_paypal, store=store, tmp_path=tmp_path,
                           redis_url=redis_url, redis_key_prefix=redis_key_prefix)
    assert paypal.captures == 1
