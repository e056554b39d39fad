"""What every gateway shares: the registry and its start-up check, choosing a gateway at checkout, the demo and
manual gateways, the Payment type (visibility, actions, every attempt), confirming with the provider's word,
polling, and the generic webhook route. Stripe (tests/fake_stripe.py) stands for the providers where one is needed."""
import datetime as dt
import logging
import subprocess
import sys

import pytest
from django.test import Client
from strawberry import relay

from commerce.carts.models import Cart
from commerce.orders.models import Order
from commerce.payments import gateways
from commerce.payments import services as payments
from commerce.payments.models import Payment, WebhookEvent
from tests.carts.conftest import errors
from tests.fake_stripe import signed
from tests.orders.conftest import place
from tests.servers import ROOT, deployed_env

CHECKOUT = """mutation ($t: String!, $g: String, $d: JSON) { checkoutComplete(cartToken: $t, gateway: $g, data: $d) {
  order { id token status } payment { id gateway status clientSecret action { type url reference data } }
  errors { field code } } }"""
CONFIRM = """mutation ($id: ID!, $t: String, $d: JSON!) { orderPaymentConfirm(id: $id, token: $t, data: $d) {
  order { status } payment { status } errors { field code } } }"""
MARK_PAID = """mutation ($id: ID!, $r: String) { orderMarkPaid(id: $id, reference: $r) {
  order { status paymentStatus events { type message } } errors { field code } } }"""
GATEWAYS = "{ shop { stripePublishableKey paymentGateways { id name currencies config { key value } } } }"


def checkout(gql, cart, gateway=None, data=None):
    return gql(CHECKOUT, {"t": cart.token, "g": gateway, "d": data}).ok()["checkoutComplete"]


def gid(type_name: str, pk: int) -> str:
    return relay.to_base64(type_name, pk)


# --- Which gateways a shop offers


def test_a_shop_with_no_gateway_refuses_checkout_before_writing_anything(gql, store, ready_cart, settings):
    settings.DEBUG, settings.STRIPE_SECRET_KEY = False, ""
    cart = ready_cart((store.shirt, 1))
    payload = checkout(gql, cart)
    assert payload["order"] is None and errors(payload) == [(None, "PAYMENT_PROVIDER_ERROR")]
    assert Order.objects.count() == 0 and Cart.objects.filter(pk=cart.pk).exists()
    assert gql(GATEWAYS).ok()["shop"]["paymentGateways"] == []


@pytest.mark.parametrize("gateway", ["nope", "paypal", "manual", "demo"])
def test_a_gateway_the_shop_does_not_offer_is_invalid_and_nothing_is_ordered(gql, store, ready_cart, gateway):
    payload = checkout(gql, ready_cart((store.shirt, 1)), gateway)
    assert errors(payload) == [(["gateway"], "INVALID")] and Order.objects.count() == 0


def test_the_shop_lists_its_gateways_with_public_config_only(gql, settings):
    settings.STRIPE_PUBLISHABLE_KEY, settings.MANUAL_PAYMENTS_ENABLED = "pk_test_1", True
    shop = gql(GATEWAYS).ok()["shop"]
    assert shop == {"stripePublishableKey": "pk_test_1", "paymentGateways": [
        {"id": "stripe", "name": "Stripe", "currencies": [], "config": [{"key": "publishableKey", "value": "pk_test_1"}]},
        {"id": "manual", "name": "Cash on delivery or bank transfer", "currencies": [], "config": []},
    ]}
    settings.PAYMENT_GATEWAYS = "manual,stripe"  # the shop's order: the first is the default
    assert [g["id"] for g in gql(GATEWAYS).ok()["shop"]["paymentGateways"]] == ["manual", "stripe"]


def test_incomplete_keys_are_named_and_refused_at_start_up_with_debug_off(settings):
    settings.STRIPE_WEBHOOK_SECRET, settings.PAYMENT_GATEWAYS = "", "stripe,nope"
    problems = " ".join(gateways.configuration_problems())
    assert "STRIPE_WEBHOOK_SECRET" in problems and "'nope'" in problems
    env = deployed_env(STRIPE_WEBHOOK_SECRET="", PAYMENT_GATEWAYS="")
    run = subprocess.run([sys.executable, "manage.py", "check"], check=False, cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode != 0 and "set STRIPE_WEBHOOK_SECRET" in run.stderr


def test_the_demo_gateway_runs_with_debug_off_only_when_asked_and_says_so(gql, store, ready_cart, settings, caplog):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET, settings.PAYMENTS_DEMO = "", "", True
    with caplog.at_level(logging.WARNING):
        gateways.check_at_start_up()
    assert "PAYMENTS_DEMO is on" in caplog.text
    payload = checkout(gql, ready_cart((store.mug, 1)))
    assert payload["order"]["status"] == "PAID" and payload["payment"]["gateway"] == "demo"
    assert payload["payment"]["action"]["type"] == "NONE"


# --- Manual payments


@pytest.fixture
def manual(settings):
    settings.MANUAL_PAYMENTS_ENABLED = True


def test_staff_mark_a_manual_order_paid_for_its_exact_amount(gql, store, ready_cart, staff_user, customer, manual):
    placed = checkout(gql, ready_cart((store.shirt, 2)), "manual")
    assert placed["order"]["status"] == "UNPAID"
    assert placed["payment"] == {"id": placed["payment"]["id"], "gateway": "manual", "status": "REQUIRES_ACTION",
                                 "clientSecret": None, "action": {"type": "NONE", "url": None, "reference": None,
                                                                  "data": None}}
    order_id = placed["order"]["id"]
    assert gql.login(customer)(MARK_PAID, {"id": order_id}).codes == ["FORBIDDEN"]
    paid = gql.login(staff_user)(MARK_PAID, {"id": order_id, "r": "BANK-42"}).ok()["orderMarkPaid"]
    assert paid["errors"] == [] and (paid["order"]["status"], paid["order"]["paymentStatus"]) == ("PAID", "PAID")
    assert paid["order"]["events"][-1]["message"] == "Marked paid by staff, reference BANK-42."
    payment = Order.objects.get(token=placed["order"]["token"]).payments.get()
    assert (payment.amount_received, payment.provider_data["reference"]) == (payment.amount, "BANK-42")
    again = gql(MARK_PAID, {"id": order_id}).ok()["orderMarkPaid"]
    assert errors(again) == [(["id"], "INVALID_TRANSITION")]


def test_marking_paid_needs_manual_payments_on(gql, store, ready_cart, staff_user):
    placed = checkout(gql, ready_cart((store.shirt, 1)))
    refused = gql.login(staff_user)(MARK_PAID, {"id": placed["order"]["id"]}).ok()["orderMarkPaid"]
    assert errors(refused) == [(["id"], "INVALID")]


def test_an_unpaid_manual_order_waits_for_its_own_expiry(gql, store, ready_cart, manual, settings):
    settings.ORDER_UNPAID_LIFETIME = dt.timedelta(0)
    order = Order.objects.get(token=checkout(gql, ready_cart((store.shirt, 1)), "manual")["order"]["token"])
    assert payments.expire_unpaid(order.pk) is False  # MANUAL_PAYMENT_EXPIRY_HOURS = 0: never
    settings.MANUAL_PAYMENT_EXPIRY_HOURS = 48
    assert payments.expire_unpaid(order.pk) is False
    Payment.objects.filter(order=order).update(created_at=order.created_at - dt.timedelta(hours=49))
    assert payments.expire_unpaid(order.pk) is True
    assert Order.objects.get(pk=order.pk).status == "CANCELLED"


# --- The Payment type


def test_every_attempt_is_listed_newest_first_at_one_cost(gql, store, ready_cart, stripe):
    placed = checkout(gql, ready_cart((store.shirt, 1)))
    query = "query ($t: String!) { order(token: $t) { payments { id gateway status amount { amount } } } }"
    one = gql(query, {"t": placed["order"]["token"]})
    for _ in range(2):
        gql("mutation ($id: ID!, $t: String) { orderPaymentCreate(id: $id, token: $t) { errors { code } } }",
            {"id": placed["order"]["id"], "t": placed["order"]["token"]}).ok()
    three = gql(query, {"t": placed["order"]["token"]})
    listed = three.ok()["order"]["payments"]
    order = Order.objects.get(token=placed["order"]["token"])
    assert [p["id"] for p in listed] == [gid("Payment", p.pk) for p in order.payments.order_by("-pk")]
    assert [p["status"] for p in listed] == ["REQUIRES_PAYMENT_METHOD", "CANCELED", "CANCELED"]
    assert one.queries == three.queries == 2


def test_a_payment_by_node_id_only_for_who_may_see_its_order(gql, store, ready_cart, customer, staff_user):
    placed = checkout(gql.login(customer), ready_cart((store.shirt, 1), user=customer))
    query = "query ($id: ID!) { node(id: $id) { ... on Payment { gateway clientSecret } } }"
    mine = gql(query, {"id": placed["payment"]["id"]}).ok()["node"]
    assert mine["gateway"] == "stripe" and mine["clientSecret"].startswith("pi_")
    assert gql.login(staff_user)(query, {"id": placed["payment"]["id"]}).ok()["node"]["clientSecret"]
    gql.headers.clear()
    assert gql(query, {"id": placed["payment"]["id"]}).ok() == {"node": None}


# --- The provider's word: confirming, polling


def test_a_confirm_applies_only_what_the_provider_says(gql, store, ready_cart, stripe):
    placed = checkout(gql, ready_cart((store.shirt, 1)))
    variables = {"id": placed["order"]["id"], "t": placed["order"]["token"], "d": {"paid": True}}
    unpaid = gql(CONFIRM, variables).ok()["orderPaymentConfirm"]  # the client's word alone changes nothing
    assert unpaid["order"]["status"] == "UNPAID" and unpaid["payment"]["status"] == "REQUIRES_PAYMENT_METHOD"
    stripe.succeed(next(iter(stripe.intents)))
    paid = gql(CONFIRM, variables).ok()["orderPaymentConfirm"]
    assert paid == {"order": {"status": "PAID"}, "payment": {"status": "SUCCEEDED"}, "errors": []}
    assert gql(CONFIRM, {**variables, "t": "guess"}).ok()["orderPaymentConfirm"]["errors"] == [
        {"field": ["id"], "code": "NOT_FOUND"}]


def test_polling_reads_the_provider_until_the_payment_is_final(gql, store, ready_cart, stripe):
    placed = checkout(gql, ready_cart((store.shirt, 1)))
    payment = Order.objects.get(token=placed["order"]["token"]).payments.get()
    assert payments.poll_payment(payment.pk) is False
    stripe.succeed(payment.intent_id)
    assert payments.poll_payment(payment.pk) is True
    assert Order.objects.get(pk=payment.order_id).status == "PAID"
    stripe.failing = True
    assert payments.poll_payment(payment.pk) is True  # final: the provider is not asked again


# --- Webhooks


def test_webhooks_are_routed_by_gateway_and_only_to_those_the_shop_runs(unpaid_order):
    assert Client().post("/webhooks/nope/", b"{}", content_type="application/json").status_code == 404
    assert Client().post("/webhooks/paypal/", b"{}", content_type="application/json").status_code == 404
    assert Client().post("/webhooks/stripe/", b"{}", content_type="application/json").status_code == 400


def test_a_stripe_signature_from_the_future_is_refused(unpaid_order, stripe):
    body, signature = signed(stripe.succeed(unpaid_order.payments.get().intent_id),
                             timestamp=int(dt.datetime.now().timestamp()) + 301)
    response = Client().post("/webhooks/stripe/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    assert response.status_code == 400 and WebhookEvent.objects.count() == 0


def test_an_event_without_an_id_gets_a_digest_of_what_it_says():
    first = gateways.base.event_identity("paystack", "charge.success", "ref-1", "success")
    assert first == gateways.base.event_identity("paystack", "charge.success", "ref-1", "success")
    assert first != gateways.base.event_identity("paystack", "charge.success", "ref-1", "failed")


@pytest.fixture
def unpaid_order(gql, store, ready_cart):
    return Order.objects.get(token=place(gql, ready_cart((store.shirt, 1)))["order"]["token"])
