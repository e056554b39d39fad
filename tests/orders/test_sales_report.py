"""The sales report: figures on a fixture whose totals are known, across refunds and cancellations, in a fixed
number of queries; and the daily email staff receive from the scheduled job."""
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.catalog.models import Product
from commerce.orders import checkout, services
from commerce.orders.models import Order
from commerce.payments import services as payments

REPORT = """query ($from: DateTime!, $to: DateTime!, $first: Int) { salesReport(from: $from, to: $to) {
  revenue { amount currency } orders averageOrderValue { amount } refunded { amount }
  topProducts(first: $first) { product { name } productName quantity revenue { amount } } } }"""


def window(hours: int = 1) -> dict:
    now = timezone.now()
    return {"from": (now - dt.timedelta(hours=hours)).isoformat(), "to": (now + dt.timedelta(hours=hours)).isoformat()}


@pytest.fixture
def sales(store, ready_cart, staff_user, pay):
    """Shipping to Germany (5.00, tax 19% on goods and shipping):
    A  2 shirts  77.35  paid
    B  1 mug     20.83  paid, 5.00 refunded
    C  1 shirt   41.65  paid, then cancelled by staff (refunded in full)
    D  3 mugs    50.58  never paid, cancelled
    G  4 mugs    65.45  paid, fulfilled
    E  1 mug     20.83  paid, delivered, then refunded in full (the order stands, as Shopify counts it)
    F  1 mug     20.83  paid two days ago: outside the window
    """
    def placed(*lines, paid=True):
        order = checkout.complete(ready_cart(*lines))
        return pay(order) if paid else order

    orders = {"A": placed((store.shirt, 2)), "B": placed((store.mug, 1)), "C": placed((store.shirt, 1)),
              "D": placed((store.mug, 3), paid=False), "G": placed((store.mug, 4)), "E": placed((store.mug, 1)),
              "F": placed((store.mug, 1))}
    payments.refund(orders["B"], amount=Decimal("5.00"), actor=staff_user)
    payments.cancel_order(orders["C"], actor=staff_user, as_staff=True)
    payments.cancel_order(orders["D"], actor=staff_user, as_staff=True)
    services.fulfill(orders["G"], actor=staff_user)
    services.mark_delivered(services.fulfill(orders["E"], actor=staff_user), actor=staff_user)
    payments.refund(orders["E"], amount=None, actor=staff_user)
    Order.objects.filter(pk=orders["F"].pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    totals = {name: str(Order.objects.get(pk=o.pk).total) for name, o in orders.items()}
    assert totals == {"A": "77.35", "B": "20.83", "C": "41.65", "D": "50.58", "G": "65.45", "E": "20.83",
                      "F": "20.83"}
    assert Order.objects.get(pk=orders["E"].pk).status == "DELIVERED"
    return orders


def test_the_report_adds_up_across_refunds_and_cancellations(staff_gql, sales):
    answer = staff_gql(REPORT, window())
    assert answer.ok()["salesReport"] == {
        "revenue": {"amount": "158.63", "currency": "USD"},  # 77.35 + 15.83 + 0 (C refunded) + 65.45 + 0 (E refunded)
        "orders": 4,  # A, B, G, E: C was cancelled, D never paid, F is outside
        "averageOrderValue": {"amount": "46.12"},  # (77.35 + 20.83 + 65.45 + 20.83) / 4 = 46.115, before refunds
        "refunded": {"amount": "67.48"},  # 5.00 of B, all of C and all of E
        "topProducts": [  # E's mug was delivered: sold, though its money went back
            {"product": {"name": "Ceramic Mug"}, "productName": "Ceramic Mug", "quantity": 6, "revenue": {"amount": "75.00"}},
            {"product": {"name": "Linen Shirt"}, "productName": "Linen Shirt", "quantity": 2, "revenue": {"amount": "60.00"}},
        ],
    }
    # the token's sign-in, the totals, the best sellers, their products: however many orders and products
    assert answer.queries == 4


def test_a_wider_window_takes_in_the_older_order_and_first_limits_the_products(staff_gql, sales):
    report = staff_gql(REPORT, {**window(hours=72), "first": 1}).ok()["salesReport"]
    assert (report["orders"], report["revenue"]["amount"]) == (5, "179.46")
    assert [p["productName"] for p in report["topProducts"]] == ["Ceramic Mug"]


def test_a_product_deleted_since_is_still_reported_by_its_recorded_name(staff_gql, sales, store):
    Product.objects.filter(pk=store.mug.product_id).delete()
    products = staff_gql(REPORT, window()).ok()["salesReport"]["topProducts"]
    assert products[0] == {"product": None, "productName": "Ceramic Mug", "quantity": 6, "revenue": {"amount": "75.00"}}


def test_an_empty_window_reports_zeros(staff_gql):
    assert staff_gql(REPORT, window()).ok()["salesReport"] == {
        "revenue": {"amount": "0.00", "currency": "USD"}, "orders": 0, "averageOrderValue": {"amount": "0.00"},
        "refunded": {"amount": "0.00"}, "topProducts": []}


def test_only_staff_see_the_report_and_the_window_must_be_in_order(gql, customer, staff_user):
    assert gql(REPORT, window()).codes == ["FORBIDDEN"]
    assert gql.login(customer)(REPORT, window()).codes == ["FORBIDDEN"]
    backwards = window()
    backwards["from"], backwards["to"] = backwards["to"], backwards["from"]
    gql.login(staff_user)
    assert gql(REPORT, backwards).codes == ["BAD_USER_INPUT"]
    assert gql(REPORT, {**window(), "first": 101}).codes == ["BAD_USER_INPUT"]


def test_staff_receive_yesterdays_figures_by_email_once(store, ready_cart, staff_user, pay, jobs, mailoutbox):
    from tasks.orders import send_yesterdays_sales_report

    order = pay(checkout.complete(ready_cart((store.shirt, 2))))
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    noon = timezone.make_aware(dt.datetime.combine(yesterday, dt.time(12)))
    Order.objects.filter(pk=order.pk).update(created_at=noon)
    send_yesterdays_sales_report.send()  # what the scheduler enqueues every night
    jobs.run()
    send_yesterdays_sales_report.send()  # a duplicate run sends nothing twice
    jobs.run()
    reports = [m for m in mailoutbox if m.to == [staff_user.email] and "sales" in m.subject]
    assert [m.subject for m in reports] == [f"Demo Shop sales for {yesterday.isoformat()}: 77.35 USD from 1 order"]
    assert "1. Linen Shirt: 2 sold, 60.00 USD" in reports[0].body


def test_a_window_wider_than_the_limit_is_refused_before_it_runs(staff_gql, settings):
    settings.SALES_REPORT_MAX_DAYS = 366
    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    widest = {"from": start.isoformat(), "to": (start + dt.timedelta(days=366)).isoformat()}
    assert staff_gql(REPORT, widest).ok()["salesReport"]["orders"] == 0
    refused = staff_gql(REPORT, {**widest, "to": (start + dt.timedelta(days=366, seconds=1)).isoformat()})
    assert refused.codes == ["BAD_USER_INPUT"] and refused.data is None
    assert refused.errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "to", "maximum": 366}
    assert refused.errors[0]["message"] == "The window may span at most 366 days."
