"""Paying through Razorpay: an order from the Orders API, Checkout's signed proof confirmed with the payment read
back, webhooks signed without a timestamp and so always re-read, idempotent refunds. Razorpay's API is the fake
in tests/fakes/razorpay.py; the official `razorpay` library is real."""
import datetime as dt
from decimal import Decimal

import httpx
import pytest
from strawberry import relay

from commerce.orders.models import Order
from commerce.payments import services as payments
from commerce.payments.models import Payment, WebhookEvent
from tests.carts.conftest import errors
from tests.fakes.gateway import gateway_fixture
from tests.fakes.razorpay import KEY_ID, SETTINGS, FakeRazorpay, event, proof, signed
from tests.payments.e2e import (
    assert_paid_once,
    buy_as_a_guest,
    confirm,
    delivered_ten_times,
    guest_purchase_to_paid,
    order_status,
    wait_for,
)
from tests.payments.webhooks import deliver_in_process
from tests.servers import deployed_env, start_daphne, stop

razorpay = gateway_fixture(FakeRazorpay, gateway="razorpay", api_base_setting="RAZORPAY_API_BASE", settings=SETTINGS)

CHECKOUT = """mutation ($t: String!) { checkoutComplete(cartToken: $t) { order { id token status }
  payment { gateway status clientSecret action { type url reference data } } errors { field code } } }"""
CONFIRM = """mutation ($id: ID!, $t: String, $d: JSON!) { orderPaymentConfirm(id: $id, token: $t, data: $d) {
  order { status } payment { status } errors { field code } } }"""
REFUND = """mutation ($id: ID!, $amount: Decimal) { orderRefund(id: $id, amount: $amount) {
  order { status paymentStatus refundedTotal { amount } } errors { field code } } }"""


@pytest.fixture
def placed(gql, store, ready_cart, razorpay):
    """A guest's UNPAID order for 2 shirts (77.35 USD), its Razorpay order open."""
    return gql(CHECKOUT, {"t": ready_cart((store.shirt, 2)).token}).ok()["checkoutComplete"]


def order_of(placed) -> Order:
    return Order.objects.get(token=placed["order"]["token"])


def confirming(gql, placed, data):
    return gql(CONFIRM, {"id": placed["order"]["id"], "t": placed["order"]["token"], "d": data}).ok()[
        "orderPaymentConfirm"]


def deliver(body: bytes, headers: dict):
    """POST an event to our webhook as Razorpay does, then apply what was recorded, as its job would."""
    return deliver_in_process("razorpay", body, headers)


def pay_by_webhook(razorpay, placed) -> Order:
    order_id = placed["payment"]["action"]["reference"]
    assert deliver(*signed(event("payment.captured", razorpay.pay(order_id)))).status_code == 200
    return order_of(placed)


# --- Opening and confirming


def test_checkout_opens_a_razorpay_order_for_the_total(gql, placed, razorpay):
    order = order_of(placed)
    (opened,) = razorpay.orders.values()
    assert (opened["amount"], opened["currency"], opened["receipt"]) == (7735, "USD", f"order-{order.pk}-payment-1")
    assert opened["notes"] == {"order_id": str(order.pk), "order_number": order.number}
    assert placed["payment"] == {"gateway": "razorpay", "status": "REQUIRES_PAYMENT_METHOD", "clientSecret": None,
                                 "action": {"type": "CONFIRM_WITH_SDK", "url": None, "reference": opened["id"],
                                            "data": {"keyId": KEY_ID}}}
    shop = gql("{ shop { paymentGateways { id config { key value } } } }").ok()["shop"]
    assert shop["paymentGateways"][0] == {"id": "razorpay", "config": [{"key": "keyId", "value": KEY_ID}]}


def test_an_order_made_before_a_lost_answer_is_taken_up_not_made_twice(placed, razorpay):
    from commerce.payments.gateways.razorpay import RazorpayGateway

    order = order_of(placed)
    again = RazorpayGateway().open_payment(payments._request(order, f"order-{order.pk}-payment-1", {}))
    assert again.id == placed["payment"]["action"]["reference"] and len(razorpay.orders) == 1


def test_razorpay_down_at_checkout_keeps_the_order_unpaid(gql, store, ready_cart, razorpay):
    razorpay.failing = True
    payload = gql(CHECKOUT, {"t": ready_cart((store.shirt, 1)).token}).ok()["checkoutComplete"]
    assert errors(payload) == [(None, "PAYMENT_PROVIDER_ERROR")] and payload["order"]["status"] == "UNPAID"


def test_checkouts_signature_confirms_the_payment_as_razorpay_reads_it(gql, placed, razorpay):
    order_id = placed["payment"]["action"]["reference"]
    paid = razorpay.pay(order_id)
    confirmed = confirming(gql, placed, proof(order_id, paid["id"]))
    assert confirmed == {"order": {"status": "PAID"}, "payment": {"status": "SUCCEEDED"}, "errors": []}
    assert razorpay.calls_to(f"/v1/payments/{paid['id']}", "GET")
    assert order_of(placed).payments.get().provider_data == {"payment_id": paid["id"]}


def test_a_forged_or_borrowed_client_proof_is_refused_and_changes_nothing(gql, store, ready_cart, placed, razorpay):
    order_id = placed["payment"]["action"]["reference"]
    paid = razorpay.pay(order_id)
    other = gql(CHECKOUT, {"t": ready_cart((store.mug, 1)).token}).ok()["checkoutComplete"]
    other_paid = razorpay.pay(other["payment"]["action"]["reference"])
    forged = proof(order_id, paid["id"], secret="guessed")
    borrowed = proof(other_paid["order_id"], other_paid["id"])  # genuine, for another order
    crossed = {**proof(order_id, other_paid["id"]), "razorpay_signature": borrowed["razorpay_signature"]}
    missing = {k: v for k, v in proof(order_id, paid["id"]).items() if k != "razorpay_signature"}
    for data in (forged, borrowed, crossed, missing, {}, {**forged, "razorpay_signature": "é" * 64}):
        refused = confirming(gql, placed, data)
        assert errors(refused) == [(["data"], "INVALID")], data
    assert not razorpay.calls_to(f"/v1/payments/{paid['id']}") and not razorpay.calls_to(
        f"/v1/payments/{other_paid['id']}")
    order = order_of(placed)
    assert (order.status, order.payments.get().status) == ("UNPAID", "REQUIRES_PAYMENT_METHOD")
    assert [e.type for e in order.events.all()] == ["PLACED"]


def test_a_genuine_signature_over_another_orders_payment_is_refused(gql, placed, razorpay, store, ready_cart):
    """Signed by our key (say, leaked) for this order id but naming a payment of another order: the read-back
    catches it."""
    order_id = placed["payment"]["action"]["reference"]
    other = gql(CHECKOUT, {"t": ready_cart((store.mug, 1)).token}).ok()["checkoutComplete"]
    other_paid = razorpay.pay(other["payment"]["action"]["reference"])
    refused = confirming(gql, placed, proof(order_id, other_paid["id"]))
    assert errors(refused) == [(["data"], "INVALID")] and order_of(placed).status == "UNPAID"


def test_a_payment_for_less_than_the_total_is_flagged_not_paid(gql, placed, razorpay):
    order_id = placed["payment"]["action"]["reference"]
    short = razorpay.pay(order_id, amount=100)
    confirmed = confirming(gql, placed, proof(order_id, short["id"]))
    assert confirmed["order"]["status"] == "UNPAID"
    payment = order_of(placed).payments.get()
    assert payment.flagged.startswith("Received 1") and payment.flagged.endswith("of 77.35; not marked paid.")
    assert payment.amount_received == 0


# --- Webhooks


def test_forged_and_missing_webhook_signatures_are_refused_and_nothing_is_recorded(placed, razorpay):
    body, headers = signed(event("payment.captured", razorpay.pay(placed["payment"]["action"]["reference"])))
    assert deliver(body, {**headers, "X-Razorpay-Signature": "0" * 64}).status_code == 400
    assert deliver(body, {"X-Razorpay-Event-Id": headers["X-Razorpay-Event-Id"]}).status_code == 400
    assert deliver(body, {**headers, "X-Razorpay-Signature": "é" * 64}).status_code == 400
    assert deliver(*signed(event("payment.captured", {}), secret="not-ours")).status_code == 400
    assert deliver(body.replace(b"captured", b"captureD"), headers).status_code == 400
    assert WebhookEvent.objects.count() == 0 and order_of(placed).status == "UNPAID"


def test_a_captured_event_pays_the_order_once_as_razorpay_reads_it(placed, razorpay):
    order = pay_by_webhook(razorpay, placed)
    assert (order.status, order.payment_status) == ("PAID", "PAID")
    assert razorpay.calls_to(f"/v1/orders/{placed['payment']['action']['reference']}/payments", "GET")
    order_paid = event("order.paid", next(iter(razorpay.payments.values())),
                       order=next(iter(razorpay.orders.values())))
    assert deliver(*signed(order_paid)).status_code == 200  # another event, the same news: converges
    assert [e.type for e in order_of(placed).events.all()] == ["PLACED", "PAYMENT_SUCCEEDED"]


def test_a_signed_event_is_only_a_hint_the_payment_is_read_back(placed, razorpay):
    """Unsigned by time, an event could be an old one replayed: what it says is not applied, Razorpay's answer is."""
    order_id = placed["payment"]["action"]["reference"]
    failed = razorpay.fail(order_id)
    claim = {**failed, "status": "captured", "captured": True, "error_description": None}
    deliver(*signed(event("payment.captured", claim)))
    order = order_of(placed)
    assert order.status == "UNPAID" and order.payments.get().status == "FAILED"
    assert [e.message for e in order.events.filter(type="PAYMENT_FAILED")] == [
        "Payment failed due to insufficient funds"]


def test_one_event_delivered_twice_is_recorded_once(placed, razorpay):
    body, headers = signed(event("payment.captured", razorpay.pay(placed["payment"]["action"]["reference"])))
    assert [deliver(body, headers).json()["duplicate"] for _ in range(2)] == [False, True]
    without_id = {"X-Razorpay-Signature": headers["X-Razorpay-Signature"]}
    assert [deliver(body, without_id).json()["duplicate"] for _ in range(2)] == [False, True]  # a digest then
    assert WebhookEvent.objects.count() == 2


# --- Refunds


def test_staff_refund_part_then_the_rest_with_idempotency_keys(gql, placed, razorpay, staff_user):
    order = pay_by_webhook(razorpay, placed)
    gid = relay.to_base64("Order", order.pk)
    gql.login(staff_user)
    part = gql(REFUND, {"id": gid, "amount": "10.00"}).ok()["orderRefund"]
    assert part["order"] == {"status": "PAID", "paymentStatus": "PARTIALLY_REFUNDED", "refundedTotal": {"amount": "10.00"}}
    rest = gql(REFUND, {"id": gid}).ok()["orderRefund"]["order"]
    assert rest == {"status": "CANCELLED", "paymentStatus": "REFUNDED", "refundedTotal": {"amount": "77.35"}}
    (paid,) = razorpay.payments.values()
    calls = razorpay.calls_to(f"/v1/payments/{paid['id']}/refund", "POST")
    assert [c.json["amount"] for c in calls] == [1000, 6735]
    assert all(c.headers["x-refund-idempotency"].startswith("razorpay-refund-") for c in calls)
    refund = next(iter(razorpay.refunds.values()))
    deliver(*signed(event("refund.processed", paid, refund=refund)))  # Razorpay's own account agrees
    assert Order.objects.get(pk=order.pk).refunded_total == Decimal("77.35")


def test_a_refund_whose_answer_was_lost_is_retried_with_its_key_and_made_once(gql, placed, razorpay, staff_user,
                                                                              settings):
    order = pay_by_webhook(razorpay, placed)
    gid = relay.to_base64("Order", order.pk)
    settings.RAZORPAY_TIMEOUT, razorpay.slow = dt.timedelta(seconds=0.3), 1.0  # made, but the answer comes late
    lost = gql.login(staff_user)(REFUND, {"id": gid}).ok()["orderRefund"]
    assert errors(lost) == [(None, "PAYMENT_PROVIDER_ERROR")]
    razorpay.slow = 0
    retried = gql(REFUND, {"id": gid}).ok()["orderRefund"]["order"]
    assert retried == {"status": "CANCELLED", "paymentStatus": "REFUNDED", "refundedTotal": {"amount": "77.35"}}
    assert len(razorpay.refunds) == 1 and len(razorpay.calls_to(
        f"/v1/payments/{next(iter(razorpay.payments))}/refund")) == 2


def test_an_abandoned_order_paid_after_all_is_refunded(placed, razorpay, jobs):
    """Razorpay cannot cancel an order: money that still arrives for a cancelled one is stray, and given back."""
    order = order_of(placed)
    payments.cancel_order(order, actor=None, as_staff=True)
    pay_by_webhook(razorpay, placed)
    jobs.run()
    order = order_of(placed)
    assert (order.status, order.payment_status) == ("CANCELLED", "NOT_PAID")
    assert Payment.objects.get(order=order).is_stray and len(razorpay.refunds) == 1


# --- Against the deployed processes, on PostgreSQL


@pytest.mark.e2e
def test_a_guest_pays_with_razorpay_checkout_end_to_end(postgres, redis_url, redis_key_prefix, transactional_db,
                                                        store, razorpay, tmp_path):
    def pay_in_checkout(base: str, placed: dict) -> None:
        action = placed["payment"]["action"]
        assert action["type"] == "CONFIRM_WITH_SDK" and action["data"] == {"keyId": KEY_ID}
        paid = razorpay.pay(action["reference"])  # the buyer pays in Razorpay Checkout; its handler gets the proof
        assert confirm(base, placed, proof(action["reference"], paid["id"]))["errors"] == []
        body, headers = signed(event("payment.captured", paid))  # and Razorpay's event arrives too
        assert httpx.post(f"{base}/webhooks/razorpay/", content=body, headers=headers).status_code == 200

    guest_purchase_to_paid(gateway="razorpay", env=razorpay.env, pay=pay_in_checkout, store=store,
                           tmp_path=tmp_path, redis_url=redis_url, redis_key_prefix=redis_key_prefix)


@pytest.mark.e2e
def test_ten_copies_of_one_razorpay_event_at_once_have_one_effect(postgres, transactional_db, store, razorpay):
    web, base = start_daphne(deployed_env(REDIS_URL="", **razorpay.env))
    try:
        placed = buy_as_a_guest(base, store, gateway="razorpay")
        body, headers = signed(event("payment.captured", razorpay.pay(placed["payment"]["action"]["reference"])))
        delivered_ten_times(f"{base}/webhooks/razorpay/", content=body, headers=headers)
        assert wait_for(lambda: order_status(base, placed["order"]["token"])["status"] == "PAID")
    finally:
        stop(web)
    assert_paid_once(placed)
