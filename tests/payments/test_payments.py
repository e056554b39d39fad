"""Paying through Stripe: intents at checkout, signed webhooks, refunds, cancellation and expiry, and what a
customer and staff see at every step. Stripe's API is the fake in tests/fake_stripe.py; the library is real."""
import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import override_settings
from strawberry import relay

from commerce.catalog.models import ProductVariant
from commerce.orders.models import Order
from commerce.payments import services as payments
from commerce.payments.gateways.base import PaymentState
from commerce.payments.models import Payment, WebhookEvent
from tests.carts.conftest import errors
from tests.fake_stripe import event, signed
from tests.orders.conftest import CHECKOUT, place
from tests.payments.webhooks import deliver_in_process

PAYMENT_CREATE = """mutation ($id: ID!, $token: String) { orderPaymentCreate(id: $id, token: $token) {
  order { status } payment { status clientSecret amount { amount currency } } errors { field code } } }"""
REFUND = """mutation ($id: ID!, $amount: Decimal) { orderRefund(id: $id, amount: $amount) {
  order { status paymentStatus refundedTotal { amount } } errors { field code } } }"""
CANCEL = "mutation ($id: ID!) { orderCancel(id: $id) { order { status paymentStatus } errors { field code } } }"


def gid(order) -> str:
    return relay.to_base64("Order", order.pk)


def deliver(body: bytes, signature: str | None):
    """POST an event to our webhook as Stripe does, then apply what was recorded, as its job would."""
    return deliver_in_process("stripe", body, {"Stripe-Signature": signature} if signature else {})


def order_of(payload) -> Order:
    return Order.objects.get(token=payload["order"]["token"])


def shirts(store) -> int:
    return ProductVariant.objects.get(pk=store.shirt.pk).stock


@pytest.fixture
def unpaid(gql, store, ready_cart):
    """A guest's UNPAID order for 2 shirts (60.00 + 5.00 shipping + 19% tax = 77.35), its intent open."""
    return order_of(place(gql, ready_cart((store.shirt, 2))))


def test_checkout_opens_a_payment_intent_for_the_total(gql, store, ready_cart, stripe):
    payload = gql(CHECKOUT.replace("payment { status }", "payment { status clientSecret amount { amount currency } }"),
                  {"token": ready_cart((store.shirt, 2)).token}).ok()["checkoutComplete"]
    order = order_of(payload)
    (intent,) = stripe.intents.values()
    assert (intent["amount"], intent["currency"]) == (7735, "usd")
    assert intent["metadata"] == {"order_id": str(order.pk), "order_number": order.number}
    assert payload["payment"] == {"status": "REQUIRES_PAYMENT_METHOD", "clientSecret": intent["client_secret"],
                                  "amount": {"amount": "77.35", "currency": "USD"}}
    (create,) = [c for c in stripe.calls if c[1] == "/v1/payment_intents"]
    assert create[3] == f"order-{order.pk}-payment-1"  # the idempotency key, derived from the order and attempt


def test_a_signed_succeeded_event_marks_the_order_paid(gql, unpaid, stripe):
    response = deliver(*signed(stripe.succeed(unpaid.payments.get().intent_id)))
    assert response.status_code == 200
    order = gql("query ($t: String!) { order(token: $t) { status paymentStatus events { type } } }",
                {"t": unpaid.token}).ok()["order"]
    assert order == {"status": "PAID", "paymentStatus": "PAID", "events": [{"type": "PLACED"}, {"type": "PAYMENT_SUCCEEDED"}]}


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda body, sig: (body, None), id="missing"),
    pytest.param(lambda body, sig: (body, sig.replace("v1=", "v1=0")), id="wrong-signature"),
    pytest.param(lambda body, sig: (body.replace(b'"succeeded"', b'"succeeded" '), sig), id="tampered-body"),
])
def test_a_forged_or_tampered_webhook_is_refused_and_records_nothing(unpaid, stripe, tamper):
    body, signature = signed(stripe.succeed(unpaid.payments.get().intent_id))
    assert deliver(*tamper(body, signature)).status_code == 400
    assert WebhookEvent.objects.count() == 0 and Order.objects.get(pk=unpaid.pk).status == "UNPAID"


def test_a_stale_or_foreign_signature_is_refused(unpaid, stripe):
    payload = stripe.succeed(unpaid.payments.get().intent_id)
    stale = signed(payload, timestamp=int(dt.datetime.now().timestamp()) - 301)
    foreign = signed(payload, secret="whsec_someone_elses_endpoint")
    assert [deliver(*attempt).status_code for attempt in (stale, foreign)] == [400, 400]
    assert WebhookEvent.objects.count() == 0


def test_a_duplicate_event_is_accepted_and_changes_nothing_twice(unpaid, stripe):
    delivery = signed(stripe.succeed(unpaid.payments.get().intent_id))
    assert [deliver(*delivery).json()["duplicate"] for _ in range(3)] == [False, True, True]
    assert [e.type for e in Order.objects.get(pk=unpaid.pk).events.all()] == ["PLACED", "PAYMENT_SUCCEEDED"]


@pytest.mark.parametrize("change", [{"amount": 100}, {"currency": "eur"}])
def test_a_payment_that_does_not_match_the_order_is_flagged_never_paid(unpaid, stripe, change):
    deliver(*signed(stripe.succeed(unpaid.payments.get().intent_id, **change)))
    order = Order.objects.get(pk=unpaid.pk)
    assert order.status == "UNPAID" and order.payment_status == "NOT_PAID"
    assert order.payments.get().flagged and order.events.last().type == "NOTE"


def test_a_failed_payment_is_recorded_and_the_order_can_be_paid_again(gql, unpaid, stripe):
    first = unpaid.payments.get()
    deliver(*signed(stripe.fail(first.intent_id)))
    order = Order.objects.get(pk=unpaid.pk)
    assert order.status == "UNPAID" and order.events.last().type == "PAYMENT_FAILED"
    again = gql(PAYMENT_CREATE, {"id": gid(unpaid), "token": unpaid.token}).ok()["orderPaymentCreate"]
    assert again["errors"] == [] and again["payment"]["status"] == "REQUIRES_PAYMENT_METHOD"
    second = Order.objects.get(pk=unpaid.pk).payments.first()
    assert second.intent_id != first.intent_id and stripe.intents[first.intent_id]["status"] == "canceled"
    deliver(*signed(stripe.succeed(second.intent_id)))
    assert Order.objects.get(pk=unpaid.pk).status == "PAID"


def test_when_stripe_is_down_the_order_is_kept_and_can_be_paid_later(gql, store, ready_cart, stripe):
    stripe.failing = True
    payload = place(gql, ready_cart((store.shirt, 2)))
    assert payload["order"]["status"] == "UNPAID" and payload["payment"] is None
    assert errors(payload) == [(None, "PAYMENT_PROVIDER_ERROR")]
    assert shirts(store) == 3  # the order holds its stock
    order = order_of(payload)
    stripe.failing = False
    retried = gql(PAYMENT_CREATE, {"id": gid(order), "token": order.token}).ok()["orderPaymentCreate"]
    assert retried["errors"] == [] and retried["payment"]["amount"]["amount"] == "77.35"


def test_only_the_owner_or_token_holder_opens_a_payment(gql, unpaid):
    assert errors(gql(PAYMENT_CREATE, {"id": gid(unpaid)}).ok()["orderPaymentCreate"]) == [(["id"], "NOT_FOUND")]
    assert errors(gql(PAYMENT_CREATE, {"id": gid(unpaid), "token": "guess"}).ok()["orderPaymentCreate"]) == [
        (["id"], "NOT_FOUND")]


def test_the_client_secret_is_shown_only_to_who_may_see_the_order(gql, unpaid, customer):
    query = "query ($id: ID, $t: String) { order(id: $id, token: $t) { payment { clientSecret } } }"
    assert gql(query, {"t": unpaid.token}).ok()["order"]["payment"]["clientSecret"].startswith("pi_")
    assert gql.login(customer)(query, {"id": gid(unpaid)}).ok() == {"order": None}


def test_staff_refund_part_then_the_rest_and_the_webhook_agrees(gql, store, staff_user, unpaid, stripe, pay):
    pay(unpaid)
    gql.login(staff_user)
    part = gql(REFUND, {"id": gid(unpaid), "amount": "10.00"}).ok()["orderRefund"]
    assert part == {"order": {"status": "PAID", "paymentStatus": "PARTIALLY_REFUNDED", "refundedTotal": {"amount": "10.00"}},
                    "errors": []}
    intent_id = unpaid.payments.get().intent_id
    deliver(*signed(stripe.refunded(intent_id, 1000)))  # Stripe's own account of the same refund
    assert Order.objects.get(pk=unpaid.pk).refunded_total == Decimal("10.00")
    too_much = gql(REFUND, {"id": gid(unpaid), "amount": "70.00"}).ok()["orderRefund"]
    assert errors(too_much) == [(["amount"], "INVALID")]
    rest = gql(REFUND, {"id": gid(unpaid)}).ok()["orderRefund"]["order"]
    assert rest == {"status": "CANCELLED", "paymentStatus": "REFUNDED", "refundedTotal": {"amount": "77.35"}}
    assert [c[2]["amount"] for c in stripe.calls if c[1] == "/v1/refunds"] == ["1000", "6735"]
    assert shirts(store) == 5  # a full refund of an unshipped order cancels it and restocks


@override_settings(REFUND_RESTOCKS=False)
def test_whether_a_full_refund_restocks_is_a_setting(gql, store, staff_user, unpaid, pay):
    pay(unpaid)
    assert gql.login(staff_user)(REFUND, {"id": gid(unpaid)}).ok()["orderRefund"]["order"]["status"] == "CANCELLED"
    assert shirts(store) == 3


def test_a_refund_of_a_delivered_order_keeps_it_delivered(gql, staff_user, unpaid, pay):
    from commerce.orders import services

    order = pay(unpaid)
    services.mark_delivered(services.fulfill(order, actor=staff_user), actor=staff_user)
    refunded = gql.login(staff_user)(REFUND, {"id": gid(unpaid)}).ok()["orderRefund"]["order"]
    assert (refunded["status"], refunded["paymentStatus"]) == ("DELIVERED", "REFUNDED")


def test_staff_cancelling_a_paid_order_refunds_and_restocks(gql, store, staff_user, unpaid, stripe, pay):
    pay(unpaid)
    cancelled = gql.login(staff_user)(CANCEL, {"id": gid(unpaid)}).ok()["orderCancel"]["order"]
    assert cancelled == {"status": "CANCELLED", "paymentStatus": "REFUNDED"}
    assert [c[2]["amount"] for c in stripe.calls if c[1] == "/v1/refunds"] == ["7735"] and shirts(store) == 5


def test_a_refund_stripe_cannot_make_changes_nothing(gql, staff_user, unpaid, stripe, pay):
    pay(unpaid)
    stripe.failing = True
    refused = gql.login(staff_user)(REFUND, {"id": gid(unpaid)}).ok()["orderRefund"]
    assert errors(refused) == [(None, "PAYMENT_PROVIDER_ERROR")]
    order = Order.objects.get(pk=unpaid.pk)
    assert (order.status, order.payment_status, order.refunded_total) == ("PAID", "PAID", Decimal("0.00"))


def test_events_out_of_order_converge_on_the_same_state(unpaid, stripe):
    intent_id = unpaid.payments.get().intent_id
    refunded = stripe.refunded(intent_id, 7735)
    succeeded = stripe.succeed(intent_id)
    deliver(*signed(refunded))  # the refund's event overtakes the payment's
    assert Order.objects.get(pk=unpaid.pk).status == "UNPAID"
    deliver(*signed(succeeded))
    order = Order.objects.get(pk=unpaid.pk)
    assert (order.status, order.payment_status, order.refunded_total) == ("CANCELLED", "REFUNDED", Decimal("77.35"))


def test_a_provider_reading_waits_for_a_settlement_in_progress_and_never_deadlocks(postgres, transactional_db, unpaid):
    """A buyer's confirm and a webhook's job settle one payment at once. The job holds its event's lock in a
    transaction and settles (order, then payment); the reading must lock in that same order, so it waits its turn
    and does not write the payment first (PostgreSQL would kill one of them as a deadlock: a 500 to the buyer)."""
    payment = unpaid.payments.get()
    order_locked = threading.Event()

    def webhook_job():
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(pk=unpaid.pk)
                order_locked.set()
                time.sleep(0.5)  # the confirm arrives meanwhile
                Payment.objects.select_for_update().get(pk=payment.pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        job = pool.submit(webhook_job)
        assert order_locked.wait(5)
        with transaction.atomic():
            payments.apply_state(payment, PaymentState("SUCCEEDED", received=7735, currency="USD",
                                                       provider_data={"capture_id": "CAPTURE-1"}))
        job.result(timeout=10)
    payment.refresh_from_db()
    assert (payment.status, payment.provider_data["capture_id"]) == ("SUCCEEDED", "CAPTURE-1")
    assert Order.objects.get(pk=unpaid.pk).status == "PAID"


def test_unknown_event_types_are_recorded_and_ignored(unpaid):
    assert deliver(*signed(event("customer.created", {"id": "cus_1"}))).status_code == 200
    assert WebhookEvent.objects.get().outcome.startswith("ignored")


@override_settings(ORDER_UNPAID_LIFETIME=dt.timedelta(0))
def test_expiry_cancels_the_intent_at_stripe_first(store, unpaid, stripe):
    assert payments.expire_unpaid(unpaid.pk) is True
    assert stripe.intents[unpaid.payments.get().intent_id]["status"] == "canceled"
    assert Order.objects.get(pk=unpaid.pk).status == "CANCELLED" and shirts(store) == 5


@override_settings(ORDER_UNPAID_LIFETIME=dt.timedelta(0))
def test_an_order_whose_intent_already_succeeded_does_not_expire(unpaid, stripe):
    stripe.succeed(unpaid.payments.get().intent_id)  # paid at Stripe; its event is on the way
    assert payments.expire_unpaid(unpaid.pk) is False
    assert Order.objects.get(pk=unpaid.pk).status == "UNPAID"


def test_money_arriving_for_a_cancelled_order_is_refunded_automatically(unpaid, customer, stripe, jobs):
    intent_id = unpaid.payments.get().intent_id
    payments.cancel_order(unpaid, actor=None, as_staff=True)
    deliver(*signed(stripe.succeed(intent_id)))
    jobs.run()
    assert [(c[2]["payment_intent"], c[2]["amount"]) for c in stripe.calls if c[1] == "/v1/refunds"] == [(intent_id, "7735")]
    order = Order.objects.get(pk=unpaid.pk)
    assert order.status == "CANCELLED" and order.payment_status == "NOT_PAID"
    notes = [e.message for e in order.events.filter(type="NOTE")]
    assert "refunding it" in notes[0] and notes[1].startswith("Refunded 77.35 USD")
    assert Payment.objects.get(intent_id=intent_id).is_stray
    from commerce.payments.services import refund_stray

    refund_stray(Payment.objects.get(intent_id=intent_id).pk)  # the job again: nothing more is refunded
    assert len([c for c in stripe.calls if c[1] == "/v1/refunds"]) == 1


@override_settings(DEBUG=True, STRIPE_SECRET_KEY="")
def test_the_demo_gateway_pays_at_once_and_says_what_it_is(gql, store, ready_cart):
    payload = place(gql, ready_cart((store.mug, 1)))
    assert payload["payment"] == {"status": "SUCCEEDED"} and payload["order"]["status"] == "PAID"
    assert order_of(payload).payments.get().intent_id.startswith("dummy_pi_")


def test_a_customer_cancelling_an_unpaid_order_closes_its_intent_at_stripe(gql, store, customer, ready_cart, stripe):
    order = order_of(place(gql.login(customer), ready_cart((store.shirt, 1), user=customer)))
    assert gql(CANCEL, {"id": gid(order)}).ok()["orderCancel"]["order"]["status"] == "CANCELLED"
    assert stripe.intents[order.payments.get().intent_id]["status"] == "canceled"


def test_an_order_paid_at_stripe_meanwhile_is_not_cancelled_as_unpaid(gql, store, customer, ready_cart, stripe):
    order = order_of(place(gql.login(customer), ready_cart((store.shirt, 1), user=customer)))
    stripe.succeed(order.payments.get().intent_id)  # its event has not arrived yet
    assert errors(gql(CANCEL, {"id": gid(order)}).ok()["orderCancel"]) == [(["id"], "INVALID_TRANSITION")]
    assert Order.objects.get(pk=order.pk).status == "UNPAID"


def test_a_second_intent_that_succeeds_too_is_refunded_whichever_event_comes_first(unpaid, stripe, gql, jobs):
    first = unpaid.payments.get()
    deliver(*signed(stripe.fail(first.intent_id)))
    gql(PAYMENT_CREATE, {"id": gid(unpaid), "token": unpaid.token}).ok()
    second = Order.objects.get(pk=unpaid.pk).payments.first()
    stripe.intents[first.intent_id]["status"] = "requires_payment_method"  # say the cancel raced a confirmation
    later, earlier = stripe.succeed(second.intent_id), stripe.succeed(first.intent_id)
    deliver(*signed(later))  # the newer intent's event first
    deliver(*signed(earlier))
    jobs.run()
    order = Order.objects.get(pk=unpaid.pk)
    assert (order.status, order.payment_status, order.refunded_total) == ("PAID", "PAID", Decimal("0.00"))
    assert [c[2]["payment_intent"] for c in stripe.calls if c[1] == "/v1/refunds"] == [first.intent_id]


def test_a_failure_event_after_success_does_not_unpay(unpaid, stripe, pay):
    pay(unpaid)
    deliver(*signed(stripe.fail(unpaid.payments.get().intent_id)))
    assert Order.objects.get(pk=unpaid.pk).status == "PAID"


def test_the_refund_event_arriving_before_the_api_answer_is_not_counted_twice(gql, staff_user, unpaid, stripe, pay):
    pay(unpaid)
    intent_id = unpaid.payments.get().intent_id
    stripe.intents[intent_id]["amount_refunded"] = 0
    deliver(*signed(stripe.refunded(intent_id, 1000)))  # Stripe's event of the coming refund, early
    refunded = gql.login(staff_user)(REFUND, {"id": gid(unpaid), "amount": "10.00"}).ok()["orderRefund"]["order"]
    assert refunded["refundedTotal"] == {"amount": "10.00"}


def test_a_refund_whose_answer_was_lost_is_retried_with_the_same_key(gql, staff_user, unpaid, stripe, pay, settings):
    pay(unpaid)
    settings.STRIPE_TIMEOUT = dt.timedelta(seconds=0.5)
    stripe.slow = 1.5  # Stripe makes the refund, but the answer comes too late
    lost = gql.login(staff_user)(REFUND, {"id": gid(unpaid), "amount": "10.00"}).ok()["orderRefund"]
    assert errors(lost) == [(None, "PAYMENT_PROVIDER_ERROR")]
    stripe.slow = 0
    retried = gql(REFUND, {"id": gid(unpaid), "amount": "10.00"}).ok()["orderRefund"]
    assert retried["errors"] == [] and retried["order"]["refundedTotal"] == {"amount": "10.00"}
    assert len(stripe.refunds) == 1, [(c[2], c[3]) for c in stripe.calls if c[1] == "/v1/refunds"]  # refunded once


def test_parallel_refunds_record_all_that_was_refunded(gql, staff_user, unpaid, stripe, pay):
    pay(unpaid)
    gql.login(staff_user)
    for amount in ("10.00", "20.00"):
        gql(REFUND, {"id": gid(unpaid), "amount": amount}).ok()
    assert Order.objects.get(pk=unpaid.pk).refunded_total == Decimal("30.00")


def test_refunds_are_for_staff(gql, customer, unpaid, pay):
    pay(unpaid)
    assert gql.login(customer)(REFUND, {"id": gid(unpaid)}).codes == ["FORBIDDEN"]
    assert gql.login(customer)(REFUND, {"id": gid(unpaid)}).data is None


@override_settings(REFUND_RESTOCKS=False)
def test_staff_cancel_restocks_even_when_refunds_alone_do_not(gql, store, staff_user, unpaid, pay):
    pay(unpaid)
    assert gql.login(staff_user)(CANCEL, {"id": gid(unpaid)}).ok()["orderCancel"]["order"]["status"] == "CANCELLED"
    assert shirts(store) == 5


@override_settings(ORDER_UNPAID_LIFETIME=dt.timedelta(0))
def test_an_intent_still_processing_keeps_the_order_from_expiring(store, unpaid, stripe):
    stripe.intents[unpaid.payments.get().intent_id]["status"] = "processing"  # a bank transfer on its way
    assert payments.expire_unpaid(unpaid.pk) is False
    assert Order.objects.get(pk=unpaid.pk).status == "UNPAID" and shirts(store) == 3
