"""Returns: who may ask for what, staff's decisions, and the refund of a received return, exact to the cent across
several returns of one order, through the gateway that took the money."""
import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from commerce.catalog.models import ProductVariant
from commerce.errors import DomainError
from commerce.orders import returns, services, shipments
from commerce.orders.models import Order, OrderLine, OrderStatus, PaymentStatus, Return, Shipment
from commerce.orders.shipments import LineQuantity
from tests.carts.conftest import errors
from tests.orders.after_sale import (
    RETURN_APPROVE,
    RETURN_DECLINE,
    RETURN_RECEIVE,
    RETURN_REQUEST,
    gid,
    line_ids,
    paid_order,
)

REFUND = """mutation ($id: ID!, $amount: Decimal) { orderRefund(id: $id, amount: $amount) {
  order { paymentStatus refundedTotal { amount } } errors { field code } } }"""
ORDER = """query ($id: ID!) { order(id: $id) { status paymentStatus refundedTotal { amount } total { amount }
  returns { id status refund { amount } } events { type } } }"""


@pytest.fixture
def shipped(gql, store, customer, staff_user, ready_cart, pay):
    """The customer's order of 3 shirts and a mug with 10% off, to Germany (19% tax), paid at Stripe and shipped."""
    order = paid_order(gql, ready_cart, pay, (store.shirt, 3), (store.mug, 1), user=customer, voucher="save10")
    services.fulfill(order, actor=staff_user, carrier="DHL", tracking_number="JD1")
    order.refresh_from_db()
    return order


def request(gql, order, lines, *, reason="Does not fit", token=None):
    ids = line_ids(order)
    return gql(RETURN_REQUEST, {"order": gid("Order", order.pk), "token": token, "reason": reason,
                                "lines": [{"orderLineId": ids[sku], "quantity": q} for sku, q in lines]}
               ).ok()["returnRequest"]


def staff(gql, staff_user, mutation, order_return: dict, **variables) -> dict:
    (payload,) = gql.login(staff_user)(mutation, {"id": order_return["id"], **variables}).ok().values()
    return payload


def test_a_return_is_requested_approved_received_and_refunded_at_stripe_to_the_cent(
        gql, store, customer, staff_user, shipped, stripe):
    assert (shipped.subtotal, shipped.discount, shipped.shipping, shipped.tax, shipped.total) == (
        Decimal("102.50"), Decimal("10.25"), Decimal("5.00"), Decimal("18.48"), Decimal("115.73"))
    asked = request(gql.login(customer), shipped, [(store.shirt.sku, 1)])
    assert asked["errors"] == [] and asked["orderReturn"]["status"] == "REQUESTED"
    assert asked["orderReturn"]["refund"] is None
    approved = staff(gql, staff_user, RETURN_APPROVE, asked["orderReturn"])
    assert approved["orderReturn"]["status"] == "APPROVED"
    received = staff(gql, staff_user, RETURN_RECEIVE, asked["orderReturn"])
    # One shirt is 30.00 of the 102.50 of goods, which cost 92.25 after the discount plus 17.53 of the tax.
    assert received == {"orderReturn": {**asked["orderReturn"], "status": "REFUNDED", "payoutPending": False,
                                        "refund": {"amount": "32.13", "currency": shipped.currency}}, "errors": []}
    (intent,) = stripe.intents.values()
    assert intent["amount_refunded"] == 3213
    assert ProductVariant.objects.get(pk=store.shirt.pk).stock == 2 + 1  # 5, 3 sold, 1 back on the shelf
    seen = gql.login(customer)(ORDER, {"id": gid("Order", shipped.pk)}).ok()["order"]
    assert (seen["status"], seen["paymentStatus"], seen["refundedTotal"]) == (
        "FULFILLED", "PARTIALLY_REFUNDED", {"amount": "32.13"})
    assert [e["type"] for e in seen["events"]][-5:] == ["RETURN_REQUESTED", "RETURN_APPROVED", "RETURN_RECEIVED",
                                                        "REFUNDED", "INVOICE_CREATED"]  # the refund's credit note


def test_every_return_of_an_order_adds_up_to_what_its_goods_cost(gql, store, customer, staff_user, shipped, stripe):
    amounts = []
    for lines in ([(store.shirt.sku, 1)], [(store.shirt.sku, 1)], [(store.shirt.sku, 1), (store.mug.sku, 1)]):
        asked = request(gql.login(customer), shipped, lines)["orderReturn"]
        staff(gql, staff_user, RETURN_APPROVE, asked)
        amounts.append(staff(gql, staff_user, RETURN_RECEIVE, asked, restock=False)["orderReturn"]["refund"]["amount"])
    assert amounts == ["32.13", "32.13", "45.52"] and sum(map(Decimal, amounts)) == Decimal("109.78")
    shipped.refresh_from_db()
    assert shipped.refunded_total == Decimal("109.78") and shipped.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    assert ProductVariant.objects.get(pk=store.shirt.pk).stock == 2  # not restocked, as asked


@override_settings(RETURN_REFUNDS_SHIPPING="all_returned")
def test_shipping_is_refunded_with_the_last_unit_when_the_setting_says_so(gql, store, customer, staff_user, shipped,
                                                                         stripe):
    first = request(gql.login(customer), shipped, [(store.shirt.sku, 2)])["orderReturn"]
    rest = request(gql, shipped, [(store.shirt.sku, 1), (store.mug.sku, 1)])["orderReturn"]
    for each in (first, rest):
        staff(gql, staff_user, RETURN_APPROVE, each)
    assert staff(gql, staff_user, RETURN_RECEIVE, rest)["orderReturn"]["refund"]["amount"] == "45.52"
    assert staff(gql, staff_user, RETURN_RECEIVE, first)["orderReturn"]["refund"]["amount"] == "70.21"  # the rest
    shipped.refresh_from_db()
    assert shipped.refunded_total == shipped.total and shipped.payment_status == PaymentStatus.REFUNDED
    assert shipped.status == OrderStatus.FULFILLED


def hand_made_order(**figures) -> Order:
    """A paid order of 3 units of one line at 10.00, with the given figures, shipped whole."""
    order = Order.objects.create(email="a@example.com", currency="EUR", status=OrderStatus.PAID,
                                 payment_status=PaymentStatus.PAID, subtotal=Decimal("30.00"), **figures)
    OrderLine.objects.create(order=order, product_name="Cup", sku="CUP", quantity=3, unit_price=Decimal("10.00"),
                             undiscounted_unit_price=Decimal("10.00"), total=Decimal("30.00"))
    return shipments.ship(order, None, actor=None)


def receive_one_by_one(order: Order) -> list[Decimal]:
    """Three returns of one unit each, received in turn; what each is owed."""
    line = order.lines.get()
    owed = []
    for _ in range(3):
        order_return = returns.approve(returns.request_return(order, [LineQuantity(line.pk, 1)], "x", actor=None),
                                       actor=None)
        with transaction.atomic():
            share = returns.refund_share(order, order_return)
            returns.mark_received(order, order_return, refund=share, restock=False, actor=None)
        owed.append(share)
    return owed


@pytest.mark.parametrize("refunds_shipping, expected", [
    ("never", ["11.90", "11.90", "11.89"]),  # 35.69 of goods: each third rounds up, the last takes what is left
    ("all_returned", ["11.90", "11.90", "17.84"]),  # and the shipping's 5.95 with the last
])
def test_rounding_across_returns_adds_up_to_exactly_what_was_paid(db, settings, refunds_shipping, expected):
    settings.RETURN_REFUNDS_SHIPPING = refunds_shipping
    order = hand_made_order(discount=Decimal("0.01"), shipping=Decimal("5.00"), tax=Decimal("6.65"),
                            total=Decimal("41.64"))
    assert returns.goods_paid(order) == Decimal("35.69")
    owed = receive_one_by_one(order)
    assert owed == [Decimal(amount) for amount in expected]
    assert sum(owed) == (order.total if refunds_shipping == "all_returned" else Decimal("35.69"))


def test_an_order_without_tax_or_shipping_is_refunded_by_its_lines_value(db):
    assert receive_one_by_one(hand_made_order(total=Decimal("30.00"))) == [Decimal("10.00")] * 3


# --- What may be returned, and by whom


def test_only_units_shipped_and_not_yet_returned_may_be_returned(gql, store, customer, staff_user, ready_cart, pay):
    order = paid_order(gql, ready_cart, pay, (store.shirt, 3), user=customer)
    gql.login(customer)
    assert errors(request(gql, order, [(store.shirt.sku, 1)])) == [(["orderId"], "RETURN_NOT_ALLOWED")]  # not shipped
    shipments.ship(order, [LineQuantity(order.lines.get().pk, 2)], actor=staff_user)
    assert errors(request(gql, order, [(store.shirt.sku, 3)])) == [(["lines", "0", "quantity"], "RETURN_NOT_ALLOWED")]
    first = request(gql, order, [(store.shirt.sku, 2)])["orderReturn"]
    assert errors(request(gql, order, [(store.shirt.sku, 1)])) == [(["lines", "0", "quantity"], "RETURN_NOT_ALLOWED")]
    staff(gql, staff_user, RETURN_DECLINE, first, reason="Worn")
    again = request(gql.login(customer), order, [(store.shirt.sku, 1)])  # a declined return frees its units
    assert again["errors"] == [] and again["orderReturn"]["lines"] == [{"quantity": 1, "orderLine": {"sku": store.shirt.sku}}]
    assert Return.objects.filter(order=order).count() == 2


def test_the_return_window_counts_from_delivery_or_else_from_shipping(gql, store, customer, shipped, settings):
    settings.RETURN_WINDOW_DAYS = 14
    gql.login(customer)
    shipment = shipped.shipments.get()
    Shipment.objects.filter(pk=shipment.pk).update(shipped_at=timezone.now() - dt.timedelta(days=15))
    assert errors(request(gql, shipped, [(store.mug.sku, 1)])) == [(["lines", "0", "quantity"], "RETURN_NOT_ALLOWED")]
    Shipment.objects.filter(pk=shipment.pk).update(delivered_at=timezone.now() - dt.timedelta(days=13))
    assert request(gql, shipped, [(store.mug.sku, 1)])["errors"] == []
    assert Return.objects.filter(order=shipped).count() == 1


def test_another_customers_order_is_not_found_and_its_token_holder_may_ask(gql, store, shipped):
    from commerce.accounts.models import User

    stranger = User.objects.create_user(email="stranger@example.com", password="x" * 12)
    assert errors(request(gql.login(stranger), shipped, [(store.mug.sku, 1)])) == [(["orderId"], "NOT_FOUND")]
    gql.headers.clear()
    assert errors(request(gql, shipped, [(store.mug.sku, 1)], token="wrong")) == [(["orderId"], "NOT_FOUND")]
    assert request(gql, shipped, [(store.mug.sku, 1)], token=shipped.token)["errors"] == []


def test_a_request_needs_a_reason_and_nothing_is_written_without_one(gql, store, customer, shipped):
    gql.login(customer)
    assert errors(request(gql, shipped, [(store.mug.sku, 1)], reason="  ")) == [(["reason"], "REQUIRED")]
    assert errors(request(gql, shipped, [])) == [(["lines"], "REQUIRED")]
    assert not Return.objects.exists() and not shipped.events.filter(type="RETURN_REQUESTED").exists()


def test_staff_decide_in_order_and_customers_cannot(gql, store, customer, staff_user, shipped):
    asked = request(gql.login(customer), shipped, [(store.mug.sku, 1)])["orderReturn"]
    assert gql(RETURN_APPROVE, {"id": asked["id"]}).codes == ["FORBIDDEN"]
    assert errors(staff(gql, staff_user, RETURN_RECEIVE, asked)) == [(["id"], "INVALID_TRANSITION")]  # not approved
    assert errors(staff(gql, staff_user, RETURN_DECLINE, asked, reason=" ")) == [(["reason"], "REQUIRED")]
    staff(gql, staff_user, RETURN_APPROVE, asked)
    assert errors(staff(gql, staff_user, RETURN_APPROVE, asked)) == [(["id"], "INVALID_TRANSITION")]
    assert errors(staff(gql, staff_user, RETURN_APPROVE, {"id": gid("Return", 999999)})) == [(["id"], "NOT_FOUND")]


@override_settings(RETURN_REQUESTS_PER_IP=2)
def test_return_requests_are_throttled_per_address(gql, store, shipped):
    for _ in range(2):
        assert errors(request(gql, shipped, [(store.mug.sku, 1)], token="guess")) == [(["orderId"], "NOT_FOUND")]
    throttled = request(gql, shipped, [(store.mug.sku, 1)], token=shipped.token)
    assert errors(throttled) == [(None, "THROTTLED")]


# --- Refunds that cannot go through, or are not the gateway's to make


def test_a_refund_beyond_what_is_left_is_refused_and_a_return_gets_only_what_is_left(
        gql, store, customer, staff_user, shipped, stripe):
    gql.login(staff_user)
    over = gql(REFUND, {"id": gid("Order", shipped.pk), "amount": "115.74"}).ok()["orderRefund"]
    assert errors(over) == [(["amount"], "INVALID")]
    gql(REFUND, {"id": gid("Order", shipped.pk), "amount": "100.00"}).ok()  # a goodwill refund by hand
    asked = request(gql.login(customer), shipped, [(store.shirt.sku, 1)])["orderReturn"]
    staff(gql, staff_user, RETURN_APPROVE, asked)
    received = staff(gql, staff_user, RETURN_RECEIVE, asked)["orderReturn"]
    assert received["refund"]["amount"] == "15.73" and received["status"] == "REFUNDED"
    (intent,) = stripe.intents.values()
    assert intent["amount_refunded"] == 11573


def test_a_refund_the_provider_cannot_make_now_is_retried_and_the_stock_comes_back_once(
        gql, store, customer, staff_user, shipped, stripe):
    asked = request(gql.login(customer), shipped, [(store.shirt.sku, 1)])["orderReturn"]
    staff(gql, staff_user, RETURN_APPROVE, asked)
    stripe.failing = True
    failed = staff(gql, staff_user, RETURN_RECEIVE, asked)
    assert errors(failed) == [(None, "PAYMENT_PROVIDER_ERROR")]
    assert Return.objects.get().status == "RECEIVED" and Return.objects.get().refund_amount == Decimal("32.13")
    stripe.failing = False
    retried = staff(gql, staff_user, RETURN_RECEIVE, asked)
    assert retried["errors"] == [] and retried["orderReturn"]["status"] == "REFUNDED"
    (intent,) = stripe.intents.values()
    assert intent["amount_refunded"] == 3213
    assert ProductVariant.objects.get(pk=store.shirt.pk).stock == 3
    assert errors(staff(gql, staff_user, RETURN_RECEIVE, asked)) == [(["id"], "INVALID_TRANSITION")]


def test_a_manual_payment_is_refunded_by_hand_and_the_return_says_so(gql, store, staff_user, ready_cart, settings):
    from commerce.payments import services as payments
    from tests.orders.conftest import place

    settings.MANUAL_PAYMENTS_ENABLED = True
    order = Order.objects.get(token=place(gql, ready_cart((store.mug, 2)))["order"]["token"])
    payments.open_payment(order, gateway="manual")
    order = payments.mark_paid(order, reference="CASH", actor=staff_user)
    services.fulfill(order, actor=staff_user)
    asked = request(gql, order, [(store.mug.sku, 1)], token=order.token)["orderReturn"]
    staff(gql, staff_user, RETURN_APPROVE, asked)
    received = staff(gql, staff_user, RETURN_RECEIVE, asked)["orderReturn"]
    assert (received["status"], received["payoutPending"]) == ("RECEIVED", True)
    order.refresh_from_db()
    assert order.refunded_total == Decimal(received["refund"]["amount"]) > 0
    assert "pay it out by hand" in order.events.filter(type="NOTE").last().message
    assert errors(staff(gql, staff_user, RETURN_RECEIVE, asked)) == [(["id"], "INVALID_TRANSITION")]


# --- The customer hears of it


def test_every_step_of_a_return_is_emailed_by_a_job(gql, store, customer, staff_user, shipped, jobs, mailoutbox,
                                                    settings):
    asked = request(gql.login(customer), shipped, [(store.mug.sku, 1)])["orderReturn"]
    staff(gql, staff_user, RETURN_DECLINE, asked, reason="Opened")
    jobs.run()
    subjects = sorted(m.subject for m in mailoutbox if m.to == [shipped.email] and "return" in m.subject)
    assert subjects == [f"Your return for {settings.SHOP_NAME} order #{shipped.number} is {what}"
                        for what in ("declined", "requested")]
    (declined,) = [m for m in mailoutbox if "is declined" in m.subject]
    assert "Why: Opened" in declined.body and f"/orders/{shipped.token}/" in declined.body


# --- Two requests for the last unit


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_for_the_last_unit_give_one_return(postgres, store, customer, staff_user, ready_cart, pay):
    order = Order.objects.create(email="a@example.com", currency="EUR", status=OrderStatus.PAID,
                                 payment_status=PaymentStatus.PAID, subtotal=Decimal("10.00"), total=Decimal("10.00"))
    line = OrderLine.objects.create(order=order, product_name="Cup", sku="CUP", quantity=1, unit_price=Decimal("10.00"),
                                    undiscounted_unit_price=Decimal("10.00"), total=Decimal("10.00"))
    shipments.ship(order, None, actor=None)
    start, outcomes = threading.Barrier(2, timeout=10), []

    def ask():
        try:
            start.wait()
            returns.request_return(order, [LineQuantity(line.pk, 1)], "Broken", actor=None)
            outcomes.append("returned")
        except DomainError as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == ["RETURN_NOT_ALLOWED", "returned"]
    assert Return.objects.filter(order=order).count() == 1
