"""MTN MoMo (commerce/payments/gateways/mtn_momo.py) against its fake (tests/fakes/mtn_momo.py): the request to
pay as MTN takes it, the status polled until final, the unsigned callback that only wakes a read, refunds through
disbursements or by hand, and a guest's purchase over HTTP with a real worker polling it to PAID."""

import pytest
from django.test import Client

from commerce.orders.models import Order
from commerce.payments import gateways
from commerce.payments import services as payments
from commerce.payments.gateways.mtn_momo import msisdn
from commerce.payments.models import Payment, WebhookEvent
from tests.carts.conftest import errors
from tests.fakes.gateway import gateway_fixture
from tests.fakes.mtn_momo import DISBURSEMENT_SETTINGS, SETTINGS, FakeMtnMomo
from tests.payments.e2e import (
    assert_paid_once,
    buy_as_a_guest,
    delivered_ten_times,
    guest_purchase_to_paid,
    order_status,
    wait_for,
)
from tests.servers import deployed_env, start_daphne, stop

momo = gateway_fixture(FakeMtnMomo, gateway="mtn-momo", api_base_setting="MTN_MOMO_API_BASE", settings=SETTINGS)

CHECKOUT = """mutation ($t: String!, $g: String, $d: JSON) { checkoutComplete(cartToken: $t, gateway: $g, data: $d) {
  order { id token status } payment { gateway status clientSecret action { type url reference data } }
  errors { field code } } }"""
CREATE = """mutation ($id: ID!, $t: String, $d: JSON) { orderPaymentCreate(id: $id, token: $t, data: $d) {
  payment { status action { type reference } } errors { field code } } }"""
REFUND = """mutation ($id: ID!) { orderRefund(id: $id) { order { status paymentStatus events { type message } }
  errors { field code } } }"""
PHONE = {"phone": "+256 772 123456"}


def checkout(gql, cart, data=PHONE):
    return gql(CHECKOUT, {"t": cart.token, "g": "mtn-momo", "d": data}).ok()["checkoutComplete"]


@pytest.fixture
def placed(gql, store, ready_cart, momo):
    """An UNPAID order whose request to pay waits on the buyer's phone: (checkoutComplete's payload, Payment)."""
    payload = checkout(gql, ready_cart((store.shirt, 2)))
    return payload, Order.objects.get(token=payload["order"]["token"]).payments.get()


def callback(body: dict, method: str = "post"):
    return getattr(Client(), method)("/webhooks/mtn-momo/", body, content_type="application/json")


# --- Opening a request to pay


def test_a_request_to_pay_is_sent_as_mtn_takes_it(placed, momo):
    payload, payment = placed
    reference = payment.intent_id
    assert payload["order"]["status"] == "UNPAID"
    assert payload["payment"] == {"gateway": "mtn-momo", "status": "PROCESSING", "clientSecret": None,
                                  "action": {"type": "APPROVE_ON_PHONE", "url": None, "reference": reference,
                                             "data": None}}
    (token_call,) = momo.calls_to("/collection/token/", "POST")
    assert token_call.headers["ocp-apim-subscription-key"] == SETTINGS["MTN_MOMO_SUBSCRIPTION_KEY"]
    (call,) = momo.calls_to("/collection/v1_0/requesttopay", "POST")
    assert call.headers["x-reference-id"] == reference and call.headers["authorization"].startswith("Bearer ")
    assert call.headers["x-target-environment"] == "mtnuganda"
    assert call.headers["x-callback-url"] == SETTINGS["MTN_MOMO_CALLBACK_URL"]
    order = payment.order
    assert call.json == {"amount": str(order.total), "currency": order.currency, "externalId": order.number,
                         "payer": {"partyIdType": "MSISDN", "partyId": "256772123456"},
                         "payerMessage": f"Order {order.number}", "payeeNote": f"Order {order.number}"}


def test_the_token_is_cached_until_it_expires(placed, momo):
    _, payment = placed
    gateway = gateways.get_gateway("mtn-momo")
    gateway.fetch_status(payment), gateway.fetch_status(payment)
    assert len(momo.tokens["collection"]) == 1
    momo.tokens["collection"].clear()  # MTN no longer takes it: fetched again, once
    gateway.fetch_status(payment)
    assert len(momo.tokens["collection"]) == 1
    momo.expires_in = 0
    gateway._forget_token(gateways.mtn_momo.COLLECTION)
    gateway.fetch_status(payment), gateway.fetch_status(payment)
    assert len(momo.tokens["collection"]) == 3


def test_the_phone_comes_from_data_or_the_address_and_none_is_refused(gql, store, ready_cart, momo):
    cart = ready_cart((store.shirt, 1))
    refused = checkout(gql, cart, data=None)
    assert errors(refused) == [(["data", "phone"], "INVALID")] and refused["order"]["status"] == "UNPAID"
    assert not momo.calls_to("/collection/v1_0/requesttopay")
    order = Order.objects.get(token=refused["order"]["token"])
    order.shipping_address.phone = "+233 24 000 0001"
    order.shipping_address.save()
    opened = gql(CREATE, {"id": refused["order"]["id"], "t": order.token}).ok()["orderPaymentCreate"]
    assert opened["errors"] == [] and opened["payment"]["action"]["type"] == "APPROVE_ON_PHONE"
    assert momo.calls_to("/collection/v1_0/requesttopay")[0].json["payer"]["partyId"] == "233240000001"
    assert msisdn("+256 (772) 12-34-56") == "256772123456"


def test_a_lost_answer_is_retried_as_the_same_request(gql, store, ready_cart, momo):
    cart = ready_cart((store.shirt, 1))
    momo.failing = True
    down = checkout(gql, cart)
    assert errors(down) == [(None, "PAYMENT_PROVIDER_ERROR")] and down["order"]["status"] == "UNPAID"
    momo.failing = False
    order = Order.objects.get(token=down["order"]["token"])
    reference = gateways.mtn_momo.MtnMomoGateway._reference(f"order-{order.pk}-payment-1", "MTN_MOMO_API_USER")
    momo.requests[reference] = {"amount": str(order.total), "currency": order.currency, "externalId": order.number,
                                "status": "PENDING"}  # MTN had taken it after all
    opened = gql(CREATE, {"id": down["order"]["id"], "t": order.token, "d": PHONE}).ok()["orderPaymentCreate"]
    assert opened["errors"] == [] and opened["payment"]["action"]["reference"] == reference
    assert {c.headers["x-reference-id"] for c in momo.calls_to("/collection/v1_0/requesttopay", "POST")} == {reference}
    assert len(momo.requests) == 1


def test_the_sandbox_takes_only_eur(gql, store, ready_cart, momo, settings):
    settings.MTN_MOMO_TARGET_ENVIRONMENT = "sandbox"
    assert gateways.gateway_class("mtn-momo").currencies == ("EUR",)
    refused = checkout(gql, ready_cart((store.shirt, 1)))
    assert errors(refused) == [(["gateway"], "INVALID")] and Order.objects.count() == 0


def test_incomplete_disbursement_keys_are_named(momo, settings):
    settings.MTN_MOMO_DISBURSEMENT_API_USER = DISBURSEMENT_SETTINGS["MTN_MOMO_DISBURSEMENT_API_USER"]
    problems = " ".join(gateways.configuration_problems())
    assert "MTN_MOMO_DISBURSEMENT_API_KEY" in problems and "MTN_MOMO_DISBURSEMENT_SUBSCRIPTION_KEY" in problems


# --- The status, polled until final


def test_polling_reads_the_status_until_it_is_final(placed, momo):
    _, payment = placed
    assert payments.poll_payment(payment.pk) is False  # PENDING
    momo.approve(payment.intent_id)
    assert payments.poll_payment(payment.pk) is True
    payment.refresh_from_db()
    assert payment.status == "SUCCEEDED" and payment.order.status == "PAID"
    assert payment.provider_data["financial_transaction_id"] == momo.requests[payment.intent_id]["financialTransactionId"]


def test_a_declined_request_fails_and_the_buyer_may_try_again(placed, momo, gql):
    payload, payment = placed
    momo.decline(payment.intent_id)
    assert payments.poll_payment(payment.pk) is True
    payment.refresh_from_db()
    assert payment.status == "FAILED" and [e.type for e in payment.order.events.all()][-1] == "PAYMENT_FAILED"
    again = gql(CREATE, {"id": payload["order"]["id"], "t": payload["order"]["token"], "d": PHONE}).ok()
    assert again["orderPaymentCreate"]["errors"] == [] and len(momo.requests) == 2


def test_an_amount_that_is_not_the_orders_is_flagged(placed, momo):
    _, payment = placed
    momo.approve(payment.intent_id, amount="1.00")
    payments.poll_payment(payment.pk)
    payment.refresh_from_db()
    assert payment.flagged.startswith("Received 1 for an order of") and payment.order.status == "UNPAID"


# --- The callback: unsigned, never trusted


def test_a_callback_that_lies_changes_nothing(placed, momo):
    _, payment = placed
    lie = {**momo.callback(payment.intent_id), "status": "SUCCESSFUL", "financialTransactionId": "1"}
    assert callback(lie).status_code == 200
    payments.process_event(WebhookEvent.objects.get().pk)
    payment.refresh_from_db()
    assert payment.status == "PROCESSING" and payment.amount_received == 0 and payment.order.status == "UNPAID"
    assert WebhookEvent.objects.get().outcome == "applied as read from the provider: PROCESSING"
    body = momo.approve(payment.intent_id)  # the real one, sent second, is not a duplicate of the lie
    assert callback(body, "put").json() == {"received": True, "duplicate": False}
    payments.process_event(WebhookEvent.objects.filter(processed_at__isnull=True).get().pk)
    assert Order.objects.get(pk=payment.order_id).status == "PAID"


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"externalId": "1"}', b'{"status": "SUCCESSFUL"}',
                                  b'{"status": "SUCCESSFUL", "externalId": "999999"}',
                                  b'{"status": "SUCCESSFUL", "referenceId": "00000000-0000-0000-0000-000000000009"}'])
def test_a_callback_about_no_request_of_ours_is_refused_and_nothing_recorded(placed, body):
    response = Client().post("/webhooks/mtn-momo/", body, content_type="application/json")
    assert response.status_code == 400 and WebhookEvent.objects.count() == 0


@pytest.mark.e2e
def test_ten_copies_of_one_callback_at_once_have_one_effect(postgres, transactional_db, store, momo):
    web, base = start_daphne(deployed_env(REDIS_URL="", **momo.env))
    try:
        placed = buy_as_a_guest(base, store, gateway="mtn-momo", data=PHONE)
        body = momo.approve(placed["payment"]["action"]["reference"])
        delivered_ten_times(f"{base}/webhooks/mtn-momo/", json=body)
        assert wait_for(lambda: order_status(base, placed["order"]["token"])["status"] == "PAID")
    finally:
        stop(web)
    assert_paid_once(placed)


# --- Refunds


def paid(placed, momo):
    _, payment = placed
    momo.approve(payment.intent_id)
    payments.poll_payment(payment.pk)
    return payment


def test_a_refund_goes_through_the_disbursement_api_where_its_keys_are_set(placed, momo, gql, staff_user, settings):
    for name, value in DISBURSEMENT_SETTINGS.items():
        setattr(settings, name, value)
    payment = paid(placed, momo)
    refunded = gql.login(staff_user)(REFUND, {"id": placed[0]["order"]["id"]}).ok()["orderRefund"]
    assert refunded["errors"] == [] and refunded["order"]["paymentStatus"] == "REFUNDED"
    (call,) = momo.calls_to("/disbursement/v1_0/refund", "POST")
    assert call.headers["ocp-apim-subscription-key"] == DISBURSEMENT_SETTINGS["MTN_MOMO_DISBURSEMENT_SUBSCRIPTION_KEY"]
    assert call.json["referenceIdToRefund"] == payment.intent_id and call.json["amount"] == str(payment.amount)
    assert len(momo.tokens["disbursement"]) == 1
    assert payment.refunds.get().refund_id == call.headers["x-reference-id"]
    assert not any("by hand" in e["message"] for e in refunded["order"]["events"])


def test_a_refund_mtn_fails_refunds_nothing(placed, momo, gql, staff_user, settings):
    for name, value in DISBURSEMENT_SETTINGS.items():
        setattr(settings, name, value)
    payment = paid(placed, momo)
    momo.requests[payment.intent_id]["refunded"] = float(payment.amount)  # refunded elsewhere already
    refused = gql.login(staff_user)(REFUND, {"id": placed[0]["order"]["id"]}).ok()["orderRefund"]
    assert errors(refused) == [(None, "PAYMENT_PROVIDER_ERROR")] and not payment.refunds.exists()


def test_without_disbursement_keys_a_refund_is_recorded_to_pay_out_by_hand(placed, momo, gql, staff_user):
    payment = paid(placed, momo)
    refunded = gql.login(staff_user)(REFUND, {"id": placed[0]["order"]["id"]}).ok()["orderRefund"]
    assert refunded["errors"] == [] and refunded["order"]["paymentStatus"] == "REFUNDED"
    assert not momo.calls_to("/disbursement/v1_0/refund")
    assert payment.refunds.get().refund_id.startswith("manual_refund_")
    assert any(e["message"] == f"Refund of {payment.amount} {payment.currency} recorded: MTN Mobile Money cannot pay "
               "it back, so pay it out by hand." for e in refunded["order"]["events"])


# --- End to end


def test_a_guest_pays_on_their_phone_and_a_worker_polls_the_order_to_paid(
    postgres, redis_url, redis_key_prefix, transactional_db, store, momo, tmp_path
):
    def approve_on_the_phone(base: str, placed: dict) -> None:
        assert placed["payment"]["status"] == "PROCESSING"
        assert placed["payment"]["action"]["type"] == "APPROVE_ON_PHONE"
        momo.approve(placed["payment"]["action"]["reference"])  # no callback: the polling job finds it

    guest_purchase_to_paid(gateway="mtn-momo", env={**momo.env, "PAYMENT_POLL_FIRST_DELAY_SECONDS": "1"},
                           pay=approve_on_the_phone, data=PHONE, store=store, tmp_path=tmp_path, redis_url=redis_url,
                           redis_key_prefix=redis_key_prefix)
    assert Payment.objects.get(provider="mtn-momo").status == "SUCCEEDED"
