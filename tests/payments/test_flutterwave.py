"""Paying through Flutterwave (v3 standard): the hosted link, the redirect back verified by transaction id, the
`verif-hash` webhook re-read from Flutterwave, refunds without idempotency keys. Flutterwave is the fake in
tests/fakes/flutterwave.py; our HTTP client is real."""
import datetime as dt

import httpx
import pytest
from strawberry import relay

from commerce.orders.models import Order
from commerce.payments.models import WebhookEvent
from tests.carts.conftest import errors
from tests.fakes.flutterwave import PUBLIC_KEY, SECRET_HASH, SECRET_KEY, FakeFlutterwave, signed
from tests.fakes.gateway import gateway_fixture
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

flutterwave = gateway_fixture(FakeFlutterwave, gateway="flutterwave", api_base_setting="FLUTTERWAVE_API_BASE",
                              settings={"FLUTTERWAVE_SECRET_KEY": SECRET_KEY, "FLUTTERWAVE_PUBLIC_KEY": PUBLIC_KEY,
                                        "FLUTTERWAVE_SECRET_HASH": SECRET_HASH,
                                        "FLUTTERWAVE_REDIRECT_URL": "https://shop.example/paid"})

CHECKOUT = """mutation ($t: String!, $d: JSON) { checkoutComplete(cartToken: $t, data: $d) {
  order { id token status } payment { gateway status clientSecret amount { amount currency }
  action { type url reference } } errors { field code } } }"""
CONFIRM = """mutation ($id: ID!, $t: String, $d: JSON!) { orderPaymentConfirm(id: $id, token: $t, data: $d) {
  order { status } payment { status } errors { field code } } }"""
REFUND = """mutation ($id: ID!, $amount: Decimal) { orderRefund(id: $id, amount: $amount) {
  order { status paymentStatus refundedTotal { amount } } errors { field code } } }"""


def deliver(body: bytes, headers: dict):
    """POST an event to our webhook as Flutterwave does, then apply what was recorded, as its job would."""
    return deliver_in_process("flutterwave", body, headers)


@pytest.fixture
def placed(gql, store, ready_cart, flutterwave):
    """A guest's UNPAID order for 2 shirts (77.35 USD) and its hosted Flutterwave link."""
    return gql(CHECKOUT, {"t": ready_cart((store.shirt, 2)).token}).ok()["checkoutComplete"]


def tx_ref_of(placed) -> str:
    return placed["payment"]["action"]["reference"]


def order_of(placed) -> Order:
    return Order.objects.get(token=placed["order"]["token"])


def confirmed(gql, placed, data):
    variables = {"id": placed["order"]["id"], "t": placed["order"]["token"], "d": data}
    return gql(CONFIRM, variables).ok()["orderPaymentConfirm"]


def test_checkout_opens_a_hosted_payment_for_the_total_as_a_decimal(placed, flutterwave):
    assert placed["errors"] == [] and placed["order"]["status"] == "UNPAID"
    payment = placed["payment"]
    assert (payment["gateway"], payment["status"], payment["clientSecret"]) == ("flutterwave", "REQUIRES_ACTION", None)
    assert payment["action"]["type"] == "REDIRECT"
    assert payment["action"]["url"].startswith("https://checkout.flutterwave.com/v3/hosted/pay/")
    (call,) = flutterwave.calls_to("/v3/payments", "POST")
    assert call.headers["authorization"] == f"Bearer {SECRET_KEY}"
    body = call.json
    assert (body["tx_ref"], body["amount"], body["currency"]) == (tx_ref_of(placed), "77.35", "USD")
    assert body["redirect_url"] == "https://shop.example/paid" and body["customer"]["email"] == order_of(placed).email
    assert "mpesa" in body["payment_options"] and "mobilemoneyghana" in body["payment_options"]
    assert body["meta"]["order_number"] == order_of(placed).number


def test_a_redirect_back_is_verified_by_transaction_id_before_the_order_is_paid(gql, placed, flutterwave):
    transaction_id = flutterwave.pay(tx_ref_of(placed))["data"]["id"]
    paid = confirmed(gql, placed, {"status": "successful", "tx_ref": tx_ref_of(placed), "transaction_id": transaction_id})
    assert paid == {"order": {"status": "PAID"}, "payment": {"status": "SUCCEEDED"}, "errors": []}
    assert flutterwave.calls_to(f"/v3/transactions/{transaction_id}/verify", "GET")
    assert order_of(placed).payments.get().provider_data["transaction_id"] == str(transaction_id)


@pytest.mark.parametrize("other", ["tx_ref", "amount", "currency"])
def test_a_redirect_back_for_a_transaction_of_another_reference_or_amount_is_refused(gql, store, ready_cart, placed,
                                                                                     flutterwave, other):
    if other == "tx_ref":  # a cheaper order of the buyer's own, paid, then claimed for this one
        cheap = gql(CHECKOUT, {"t": ready_cart((store.mug, 1)).token}).ok()["checkoutComplete"]
        transaction = flutterwave.pay(tx_ref_of(cheap))["data"]
    else:
        transaction = flutterwave.pay(tx_ref_of(placed), **({"amount": 1.0} if other == "amount" else {"currency": "NGN"}))["data"]
    refused = confirmed(gql, placed, {"status": "successful", "transaction_id": transaction["id"]})
    assert errors(refused) == [(["data"], "INVALID")]
    assert order_of(placed).status == "UNPAID" and order_of(placed).payments.get().status == "REQUIRES_ACTION"


def test_a_redirect_back_claiming_a_transaction_flutterwave_does_not_know_is_refused(gql, placed):
    refused = confirmed(gql, placed, {"status": "successful", "transaction_id": 999})
    assert errors(refused) == [(["data"], "INVALID")] and order_of(placed).status == "UNPAID"
    assert confirmed(gql, placed, {"status": "successful"})["order"]["status"] == "UNPAID"  # no id: read, unpaid


def test_a_webhook_with_the_secret_hash_is_verified_by_its_transaction_id_and_pays(placed, flutterwave):
    event = flutterwave.pay(tx_ref_of(placed))
    response = deliver(*signed(event))
    assert response.status_code == 200
    assert order_of(placed).status == "PAID"
    assert flutterwave.calls_to(f"/v3/transactions/{event['data']['id']}/verify", "GET")
    assert WebhookEvent.objects.get().event_id.startswith("digest:")


@pytest.mark.parametrize("headers", [{}, {"verif-hash": "guess"}, {"verif-hash": SECRET_HASH + "x"},
                                     {"verif-hash": SECRET_HASH[:-1]}])
def test_a_missing_or_wrong_secret_hash_is_refused_and_records_nothing(placed, flutterwave, headers):
    body, _ = signed(flutterwave.pay(tx_ref_of(placed)))
    assert deliver(body, headers).status_code == 400
    assert WebhookEvent.objects.count() == 0 and order_of(placed).status == "UNPAID"


def test_an_event_that_lies_changes_nothing_as_flutterwave_is_asked(placed, flutterwave):
    """Whoever knows the static hash can say anything; only Flutterwave's answer counts."""
    lie = flutterwave.pay(tx_ref_of(placed), status="pending")
    lie["data"]["status"] = "successful"
    assert deliver(*signed(lie)).status_code == 200
    assert order_of(placed).status == "UNPAID" and order_of(placed).payments.get().status == "PROCESSING"


def test_the_same_event_twice_is_one_event(placed, flutterwave):
    body, headers = signed(flutterwave.pay(tx_ref_of(placed)))
    assert deliver(body, headers).json() == {"received": True, "duplicate": False}
    assert deliver(body, headers).json() == {"received": True, "duplicate": True}
    assert WebhookEvent.objects.count() == 1
    assert [e.type for e in order_of(placed).events.all()] == ["PLACED", "PAYMENT_SUCCEEDED"]


@pytest.mark.parametrize("change", [{"amount": 77.0}, {"currency": "NGN"}])
def test_a_payment_that_does_not_match_the_order_is_flagged_never_paid(placed, flutterwave, change):
    deliver(*signed(flutterwave.pay(tx_ref_of(placed), **change)))
    order, payment = order_of(placed), order_of(placed).payments.get()
    assert order.status == "UNPAID" and payment.flagged and payment.amount_received == 0


def test_a_failed_mobile_money_payment_is_recorded_and_can_be_paid_again(gql, placed, flutterwave):
    deliver(*signed(flutterwave.pay(tx_ref_of(placed), status="failed")))
    assert order_of(placed).status == "UNPAID" and order_of(placed).payments.get().status == "FAILED"
    assert [e.type for e in order_of(placed).events.all()] == ["PLACED", "PAYMENT_FAILED"]
    again = gql("mutation ($id: ID!, $t: String) { orderPaymentCreate(id: $id, token: $t) { payment { status action "
                "{ reference } } errors { code } } }", {"id": placed["order"]["id"], "t": placed["order"]["token"]})
    payment = again.ok()["orderPaymentCreate"]["payment"]
    assert payment["status"] == "REQUIRES_ACTION" and payment["action"]["reference"] != tx_ref_of(placed)
    deliver(*signed(flutterwave.pay(payment["action"]["reference"], payment_type="mpesa")))
    assert order_of(placed).status == "PAID"


def test_when_flutterwave_is_down_the_order_is_kept_unpaid(gql, store, ready_cart, flutterwave):
    flutterwave.failing = True
    payload = gql(CHECKOUT, {"t": ready_cart((store.shirt, 1)).token}).ok()["checkoutComplete"]
    assert errors(payload) == [(None, "PAYMENT_PROVIDER_ERROR")] and payload["order"]["status"] == "UNPAID"


@pytest.fixture
def paid(placed, flutterwave):
    deliver(*signed(flutterwave.pay(tx_ref_of(placed))))
    assert order_of(placed).status == "PAID"
    return placed


def refund(gql, placed, amount):
    return gql(REFUND, {"id": relay.to_base64("Order", order_of(placed).pk), "amount": amount}).ok()["orderRefund"]


def test_staff_refund_part_then_the_rest_through_the_transaction(gql, staff_user, paid, flutterwave):
    gql.login(staff_user)
    part = refund(gql, paid, "10.00")
    assert part["errors"] == [] and part["order"]["paymentStatus"] == "PARTIALLY_REFUNDED"
    transaction_id = order_of(paid).payments.get().provider_data["transaction_id"]
    (call,) = flutterwave.calls_to(f"/v3/transactions/{transaction_id}/refund", "POST")
    assert call.json["amount"] == "10.00"
    rest = refund(gql, paid, None)
    assert rest["order"] == {"status": "CANCELLED", "paymentStatus": "REFUNDED", "refundedTotal": {"amount": "77.35"}}
    assert sorted(r["amount_refunded"] for r in flutterwave.refunds.values()) == [10.0, 67.35]


def test_a_refund_whose_answer_was_lost_is_found_not_made_twice(gql, staff_user, paid, flutterwave, settings):
    gql.login(staff_user)
    settings.FLUTTERWAVE_TIMEOUT = dt.timedelta(seconds=0.5)
    flutterwave.slow = 1.5  # Flutterwave makes the refund, but the answer comes too late
    assert errors(refund(gql, paid, "10.00")) == [(None, "PAYMENT_PROVIDER_ERROR")]
    flutterwave.slow = 0
    retried = refund(gql, paid, "10.00")
    assert retried["errors"] == [] and retried["order"]["refundedTotal"] == {"amount": "10.00"}
    assert len(flutterwave.refunds) == 1  # found among the transaction's refunds, not made again
    assert order_of(paid).payments.get().refunds.get().refund_id == str(next(iter(flutterwave.refunds)))


def test_a_refund_flutterwave_refuses_changes_nothing(gql, staff_user, paid, flutterwave):
    flutterwave.transactions[next(iter(flutterwave.transactions))]["status"] = "failed"
    refused = gql.login(staff_user)(REFUND, {"id": relay.to_base64("Order", order_of(paid).pk)}).ok()["orderRefund"]
    assert errors(refused) == [(None, "PAYMENT_PROVIDER_ERROR")]
    assert order_of(paid).refunded_total == 0 and not order_of(paid).payments.get().refunds.exists()


# --- Against the deployed processes on PostgreSQL


@pytest.mark.e2e
def test_ten_copies_of_one_event_at_once_have_one_effect(postgres, transactional_db, store, flutterwave):
    web, base = start_daphne(deployed_env(REDIS_URL="", **flutterwave.env))
    try:
        placed = buy_as_a_guest(base, store)
        body, headers = signed(flutterwave.pay(placed["payment"]["action"]["reference"]))
        delivered_ten_times(f"{base}/webhooks/flutterwave/", content=body, headers=headers)
        assert wait_for(lambda: order_status(base, placed["order"]["token"])["status"] == "PAID")
    finally:
        stop(web)
    assert_paid_once(placed)


@pytest.mark.e2e
def test_a_guest_pays_with_mobile_money_end_to_end(postgres, redis_url, redis_key_prefix, transactional_db, store,
                                                   flutterwave, tmp_path):
    def pay_at_the_hosted_page(base: str, placed: dict) -> None:
        action = placed["payment"]["action"]
        assert action["type"] == "REDIRECT" and action["url"].startswith("https://checkout.flutterwave.com/")
        event = flutterwave.pay(action["reference"], payment_type="mobilemoneygh")  # approved on the buyer's phone
        body, headers = signed(event)
        assert httpx.post(f"{base}/webhooks/flutterwave/", content=body, headers=headers).status_code == 200
        # the buyer is redirected back meanwhile: the storefront confirms with the transaction id
        back = confirm(base, placed, {"status": "successful", "tx_ref": action["reference"],
                                      "transaction_id": event["data"]["id"]})
        assert back["errors"] == []

    guest_purchase_to_paid(gateway="flutterwave", env=flutterwave.env, pay=pay_at_the_hosted_page, store=store,
                           tmp_path=tmp_path, redis_url=redis_url, redis_key_prefix=redis_key_prefix)
