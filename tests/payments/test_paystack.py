"""Paying through Paystack: a transaction initialized for the order (a redirect to its checkout page), its
`charge.success` webhook signed with HMAC-SHA512 but never trusted for its figures (the transaction is verified
by our reference), a client's reference checked against the order's own, and refunds without idempotency keys.
Paystack's API is the fake in tests/fakes/paystack.py; the gateway's HTTP code is real."""
import datetime as dt

import httpx
import pytest
from strawberry import relay

from commerce.orders.models import Order
from commerce.payments.models import WebhookEvent
from tests.carts.conftest import errors
from tests.fakes.gateway import gateway_fixture
from tests.fakes.paystack import PUBLIC_KEY, SECRET_KEY, FakePaystack, signed
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

paystack = gateway_fixture(FakePaystack, gateway="paystack", api_base_setting="PAYSTACK_API_BASE",
                           settings={"PAYSTACK_SECRET_KEY": SECRET_KEY, "PAYSTACK_PUBLIC_KEY": PUBLIC_KEY})

CHECKOUT = """mutation ($t: String!, $d: JSON) { checkoutComplete(cartToken: $t, data: $d) {
  order { id token status } payment { gateway status clientSecret action { type url reference } }
  errors { field code } } }"""
CONFIRM = """mutation ($id: ID!, $t: String, $d: JSON!) { orderPaymentConfirm(id: $id, token: $t, data: $d) {
  order { status } payment { status } errors { field code } } }"""
REFUND = """mutation ($id: ID!, $amount: Decimal) { orderRefund(id: $id, amount: $amount) {
  order { status paymentStatus refundedTotal { amount } } errors { field code } } }"""


@pytest.fixture
def place(gql, store, ready_cart, paystack):
    """A guest's UNPAID order for 2 shirts (77.35 USD), its Paystack transaction initialized."""
    def place_order(data=None):
        return gql(CHECKOUT, {"t": ready_cart((store.shirt, 2)).token, "d": data}).ok()["checkoutComplete"]
    return place_order


def order_of(placed) -> Order:
    return Order.objects.get(token=placed["order"]["token"])


def deliver(body: bytes, signature: str | None):
    """POST an event to our webhook as Paystack does, then apply what was recorded, as its job would."""
    return deliver_in_process("paystack", body, {"x-paystack-signature": signature} if signature is not None else {})


def test_checkout_initializes_a_transaction_in_subunits_and_redirects(place, paystack, gql):
    placed = place({"callbackUrl": "https://shop.example/paid"})
    order = order_of(placed)
    (transaction,) = paystack.transactions.values()
    (call,) = paystack.calls_to("/transaction/initialize", "POST")
    assert call.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert call.json == {"email": order.email, "amount": 7735, "currency": "USD", "reference": transaction["reference"],
                         "metadata": {"order_id": str(order.pk), "order_number": order.number},
                         "callback_url": "https://shop.example/paid"}
    assert placed["payment"] == {
        "gateway": "paystack", "status": "REQUIRES_PAYMENT_METHOD", "clientSecret": transaction["access_code"],
        "action": {"type": "REDIRECT", "url": f"https://checkout.paystack.com/{transaction['access_code']}",
                   "reference": transaction["reference"]}}
    shop = gql("{ shop { paymentGateways { id currencies config { key value } } } }").ok()["shop"]
    assert shop["paymentGateways"][0] == {"id": "paystack", "currencies": ["NGN", "GHS", "ZAR", "KES", "USD"],
                                          "config": [{"key": "publicKey", "value": PUBLIC_KEY}]}


def test_a_signed_charge_success_is_verified_then_marks_the_order_paid(place, paystack):
    placed = place()
    reference = placed["payment"]["action"]["reference"]
    assert deliver(*signed(paystack.pay(reference))).status_code == 200
    order = order_of(placed)
    assert (order.status, order.payment_status) == ("PAID", "PAID")
    assert paystack.calls_to(f"/transaction/verify/{reference}", "GET")  # its figures came from Paystack
    assert order.payments.get().provider_data["transaction_id"] == paystack.transactions[reference]["id"]


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda body, sig: (body, None), id="missing-signature"),
    pytest.param(lambda body, sig: (body, ""), id="empty-signature"),
    pytest.param(lambda body, sig: (body, ("1" if sig[0] == "0" else "0") + sig[1:]), id="wrong-signature"),
    pytest.param(lambda body, sig: (body, signed(body.decode(), secret="sk_test_someone_else")[1]), id="other-key"),
    pytest.param(lambda body, sig: (body.replace(b'"success"', b'"success" '), sig), id="tampered-body"),
])
def test_a_forged_or_missing_signature_is_refused_and_records_nothing(place, paystack, tamper):
    placed = place()
    body, signature = signed(paystack.pay(placed["payment"]["action"]["reference"]))
    assert deliver(*tamper(body, signature)).status_code == 400
    assert WebhookEvent.objects.count() == 0 and order_of(placed).status == "UNPAID"


def test_a_replayed_or_lying_event_changes_only_what_paystack_says(place, paystack):
    """A signature with no timestamp proves nothing about now: an event claiming success for a transaction Paystack
    says is unpaid changes nothing; its identity is a digest, so the same news twice is one event."""
    placed = place()
    reference = placed["payment"]["action"]["reference"]
    lie = {"event": "charge.success", "data": {**paystack.transactions[reference], "status": "success"}}
    assert [deliver(*signed(lie)).json()["duplicate"] for _ in range(2)] == [False, True]
    assert order_of(placed).status == "UNPAID"
    (recorded,) = WebhookEvent.objects.all()
    assert recorded.event_id.startswith("digest:") and recorded.outcome.startswith("applied as read from the provider")


@pytest.mark.parametrize("change", [{"amount": 100}, {"currency": "NGN"}])
def test_a_transaction_that_does_not_match_the_order_is_flagged_never_paid(place, paystack, change):
    placed = place()
    deliver(*signed(paystack.pay(placed["payment"]["action"]["reference"], **change)))
    order = order_of(placed)
    assert (order.status, order.payment_status) == ("UNPAID", "NOT_PAID")
    assert order.payments.get().flagged and order.events.last().type == "NOTE"


def test_the_buyer_back_from_paystack_confirms_with_the_orders_own_reference_only(place, paystack, gql):
    """A client's proof forged: another order's Paystack reference, paid, given to this order's confirm."""
    mine, theirs = place(), place()
    paystack.pay(theirs["payment"]["action"]["reference"])
    variables = {"id": mine["order"]["id"], "t": mine["order"]["token"]}
    forged = gql(CONFIRM, {**variables, "d": {"reference": theirs["payment"]["action"]["reference"]}}).ok()
    assert errors(forged["orderPaymentConfirm"]) == [(["data"], "INVALID")]
    assert order_of(mine).status == "UNPAID" and order_of(theirs).status == "UNPAID"
    own = {"reference": mine["payment"]["action"]["reference"]}
    unpaid = gql(CONFIRM, {**variables, "d": own}).ok()["orderPaymentConfirm"]  # back, but did not pay
    assert unpaid["order"]["status"] == "UNPAID" and unpaid["payment"]["status"] == "REQUIRES_PAYMENT_METHOD"
    paystack.pay(own["reference"])
    paid = gql(CONFIRM, {**variables, "d": {"trxref": own["reference"], **own}}).ok()["orderPaymentConfirm"]
    assert paid == {"order": {"status": "PAID"}, "payment": {"status": "SUCCEEDED"}, "errors": []}


def test_staff_refund_part_then_the_rest(place, paystack, gql, staff_user):
    placed = place()
    deliver(*signed(paystack.pay(placed["payment"]["action"]["reference"])))
    order_id = relay.to_base64("Order", order_of(placed).pk)
    gql.login(staff_user)
    part = gql(REFUND, {"id": order_id, "amount": "10.00"}).ok()["orderRefund"]
    assert part == {"order": {"status": "PAID", "paymentStatus": "PARTIALLY_REFUNDED",
                              "refundedTotal": {"amount": "10.00"}}, "errors": []}
    rest = gql(REFUND, {"id": order_id}).ok()["orderRefund"]["order"]
    assert rest == {"status": "CANCELLED", "paymentStatus": "REFUNDED", "refundedTotal": {"amount": "77.35"}}
    bodies = [c.json for c in paystack.calls_to("/refund", "POST")]
    assert [(b["transaction"], b["amount"], b["currency"]) for b in bodies] == [
        (placed["payment"]["action"]["reference"], 1000, "USD"), (placed["payment"]["action"]["reference"], 6735, "USD")]
    assert sorted(str(r) for r in order_of(placed).payments.get().refunds.values_list("refund_id", flat=True)) == \
        sorted(str(r) for r in paystack.refunds)


def test_a_refund_whose_answer_was_lost_is_found_not_made_twice(place, paystack, gql, staff_user, settings):
    placed = place()
    deliver(*signed(paystack.pay(placed["payment"]["action"]["reference"])))
    order_id = relay.to_base64("Order", order_of(placed).pk)
    settings.PAYSTACK_TIMEOUT = dt.timedelta(seconds=0.5)
    paystack.slow = 1.5  # Paystack makes the refund, but the answer comes too late
    lost = gql.login(staff_user)(REFUND, {"id": order_id, "amount": "10.00"}).ok()["orderRefund"]
    assert errors(lost) == [(None, "PAYMENT_PROVIDER_ERROR")]
    paystack.slow = 0
    retried = gql(REFUND, {"id": order_id, "amount": "10.00"}).ok()["orderRefund"]
    assert retried["errors"] == [] and retried["order"]["refundedTotal"] == {"amount": "10.00"}
    assert len(paystack.refunds) == 1 and len(paystack.calls_to("/refund", "POST")) == 1  # looked up, not made again
    (refund,) = order_of(placed).payments.get().refunds.all()
    assert refund.refund_id == str(next(iter(paystack.refunds)))
    again = gql(REFUND, {"id": order_id, "amount": "10.00"}).ok()["orderRefund"]  # a second refund of 10 is new
    assert again["order"]["refundedTotal"] == {"amount": "20.00"} and len(paystack.refunds) == 2


def test_a_refund_paystack_refuses_changes_nothing(place, paystack, gql, staff_user):
    placed = place()
    deliver(*signed(paystack.pay(placed["payment"]["action"]["reference"])))
    paystack.transactions[placed["payment"]["action"]["reference"]]["status"] = "failed"  # as if disputed meanwhile
    refused = gql.login(staff_user)(REFUND, {"id": relay.to_base64("Order", order_of(placed).pk)}).ok()["orderRefund"]
    assert errors(refused) == [(None, "PAYMENT_PROVIDER_ERROR")]
    assert not order_of(placed).payments.get().refunds.exists() and order_of(placed).status == "PAID"


def test_an_initialize_whose_answer_was_lost_is_opened_afresh(place, paystack, settings, gql):
    settings.PAYSTACK_TIMEOUT = dt.timedelta(seconds=0.5)
    paystack.slow = 1.5  # Paystack initializes the transaction, but the answer comes too late
    lost = place()
    assert lost["order"]["status"] == "UNPAID" and errors(lost) == [(None, "PAYMENT_PROVIDER_ERROR")]
    paystack.slow = 0
    again = gql("""mutation ($id: ID!, $t: String) { orderPaymentCreate(id: $id, token: $t) {
      payment { action { type reference } } errors { code } } }""", {"id": lost["order"]["id"],
                                                                      "t": lost["order"]["token"]}).ok()
    payload = again["orderPaymentCreate"]
    assert payload["errors"] == [] and payload["payment"]["action"]["type"] == "REDIRECT"
    assert len(paystack.transactions) == 2 and payload["payment"]["action"]["reference"] in paystack.transactions


def test_when_paystack_is_down_the_order_is_kept(place, paystack):
    paystack.failing = True
    placed = place()
    assert placed["order"]["status"] == "UNPAID" and errors(placed) == [(None, "PAYMENT_PROVIDER_ERROR")]


# --- Against the deployed processes on PostgreSQL


@pytest.mark.e2e
def test_ten_copies_of_one_event_at_once_have_one_effect(postgres, transactional_db, store, paystack):
    web, base = start_daphne(deployed_env(REDIS_URL="", **paystack.env))
    try:
        placed = buy_as_a_guest(base, store)
        body, signature = signed(paystack.pay(placed["payment"]["action"]["reference"]))
        delivered_ten_times(f"{base}/webhooks/paystack/", content=body, headers={"x-paystack-signature": signature})
        assert wait_for(lambda: order_status(base, placed["order"]["token"])["status"] == "PAID")
    finally:
        stop(web)
    assert_paid_once(placed)


@pytest.mark.e2e
def test_a_guest_pays_on_paystacks_page_and_a_worker_applies_charge_success(
    postgres, redis_url, redis_key_prefix, transactional_db, store, paystack, tmp_path
):
    def pay_on_the_checkout_page(base: str, placed: dict) -> None:
        action = placed["payment"]["action"]
        assert action["type"] == "REDIRECT" and action["url"].startswith("https://checkout.paystack.com/")
        assert confirm(base, placed, {"reference": action["reference"]})["order"]["status"] == "UNPAID"  # not yet
        body, signature = signed(paystack.pay(action["reference"]))  # the buyer paid; Paystack tells us
        response = httpx.post(f"{base}/webhooks/paystack/", content=body, headers={"x-paystack-signature": signature})
        assert response.status_code == 200

    guest_purchase_to_paid(gateway="paystack", env=paystack.env, pay=pay_on_the_checkout_page, store=store,
                           tmp_path=tmp_path, redis_url=redis_url, redis_key_prefix=redis_key_prefix)
