"""The back-office dashboard's figures (commerce.orders.reports.dashboard) on a fixture whose totals are known: each
period against the one before, conversion from the daily counters, the chart's days, the lists; in nine queries
however many orders there are (past days from a maintained rollup, computed again when one of their orders
changes), and the admin's home page showing them to verified staff only."""
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from commerce.accounts.models import User
from commerce.carts import services as carts
from commerce.carts.models import DailyCount
from commerce.orders import checkout, reports, services
from commerce.orders.models import Order
from commerce.payments import services as payments


def days_ago(order, days: int):
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - dt.timedelta(days=days))
    return order


@pytest.fixture
def shop_history(store, ready_cart, staff_user, customer, pay):
    """Shipping to Germany (5.00, tax 19% on goods and shipping):
    today       A  2 shirts  77.35  paid;   B  1 mug  20.83  paid, 5.00 refunded;   D  3 mugs  never paid, cancelled
    yesterday   C  1 mug     20.83  paid
    3 days ago  G  4 mugs    65.45  paid, fulfilled
    10 days     E  1 mug     20.83  paid, delivered, refunded in full
    40 days     F  1 shirt   41.65  paid
    70 days     H  1 mug     20.83  paid (before every period)
    Carts: the 8 orders' carts and 2 abandoned ones today (10 created, 8 placed); yesterday's counter 4 and 1.
    Customers: `customer` joined today, one 8 days ago; staff are not customers."""
    def placed(*lines, paid=True):
        order = checkout.complete(ready_cart(*lines))
        return pay(order) if paid else order

    o = {"A": placed((store.shirt, 2)), "B": placed((store.mug, 1)), "D": placed((store.mug, 3), paid=False),
         "C": placed((store.mug, 1)), "G": placed((store.mug, 4)), "E": placed((store.mug, 1)),
         "F": placed((store.shirt, 1)), "H": placed((store.mug, 1))}
    payments.refund(o["B"], amount=Decimal("5.00"), actor=staff_user)
    payments.cancel_order(o["D"], actor=staff_user, as_staff=True)
    services.fulfill(o["G"], actor=staff_user)
    services.mark_delivered(services.fulfill(o["E"], actor=staff_user), actor=staff_user)
    payments.refund(o["E"], amount=None, actor=staff_user)
    for name, days in {"C": 1, "G": 3, "E": 10, "F": 40, "H": 70}.items():
        days_ago(o[name], days)
    carts.create_cart(None, lines=[])
    carts.create_cart(None, lines=[carts.LineRequest(store.mug.pk, 1)])
    DailyCount.objects.create(date=timezone.localdate() - dt.timedelta(days=1), carts_created=4, orders_placed=1)
    User.objects.create_user("older@example.com", "a-long-password-1",
                             date_joined=timezone.now() - dt.timedelta(days=8))
    return o


def figures(kpis) -> dict:
    def text(value):
        return None if value is None else str(value)

    return {kpi.label: (text(kpi.current), text(kpi.previous), text(kpi.change)) for kpi in kpis}


def test_checkout_and_cart_creation_count_the_day_and_the_counts_outlive_the_carts(store, ready_cart):
    cart = ready_cart((store.mug, 1))
    carts.create_cart(None, lines=[])
    checkout.complete(cart)  # deletes the cart
    today = DailyCount.objects.get(date=timezone.localdate())
    assert (today.carts_created, today.orders_placed) == (2, 1)


def test_each_period_against_the_one_before(shop_history):
    today, week, month = reports.dashboard().periods
    assert [(p.name, p.days) for p in (today, week, month)] == [("Today", 1), ("7 days", 7), ("30 days", 30)]
    assert figures(today.kpis) == {
        "Revenue": ("93.18", "20.83", "347.3"),  # A + B less B's 5.00; yesterday C
        "Orders": ("2", "1", "100.0"),  # D was never paid
        "Average order value": ("49.09", "20.83", "135.7"),  # (77.35 + 20.83) / 2, before refunds
        "Refunds": ("5.00", "0.00", None),
        "New customers": ("1", "0", None),  # staff are not customers
        "Checkout conversion": ("80.0", "25.0", "220.0"),  # 8 orders from 10 carts; 1 from 4
    }
    assert figures(week.kpis) == {
        "Revenue": ("179.46", "0.00", None),  # + C + G; E (10 days) was refunded in full
        "Orders": ("4", "1", "300.0"),
        "Average order value": ("46.12", "20.83", "121.4"),  # (98.18 + 20.83 + 65.45) / 4 = 46.115
        "Refunds": ("5.00", "20.83", "-76.0"),
        "New customers": ("1", "1", "0.0"),
        "Checkout conversion": ("64.3", None, None),  # 9 of 14; no counter the week before
    }
    assert figures(month.kpis) == {
        "Revenue": ("179.46", "41.65", "330.9"),
        "Orders": ("5", "1", "400.0"),  # E delivered then refunded still counts, as in salesReport
        "Average order value": ("41.06", "41.65", "-1.4"),  # 205.29 / 5
        "Refunds": ("25.83", "0.00", None),
        "New customers": ("2", "0", None),
        "Checkout conversion": ("64.3", None, None),
    }


def test_the_chart_has_every_one_of_the_last_30_days(shop_history):
    days = reports.dashboard().days
    assert len(days) == 30 and days[-1].day == timezone.localdate()
    assert days[0].day == timezone.localdate() - dt.timedelta(days=29)
    assert [(d.revenue, d.orders) for d in (days[-1], days[-2], days[-4], days[-11])] == [
        (Decimal("93.18"), 2), (Decimal("20.83"), 1), (Decimal("65.45"), 1), (Decimal("0.00"), 1)]
    assert sum(d.orders for d in days) == 5


def test_the_lists_best_sellers_low_stock_and_orders_waiting_to_ship(shop_history):
    board = reports.dashboard()
    assert [(p.product_name, p.quantity, str(p.revenue)) for p in board.top_products] == [
        ("Ceramic Mug", 7, "87.50"), ("Linen Shirt", 2, "60.00")]  # F's shirt is 40 days old
    assert [(v.product.name, v.stock, v.threshold) for v in board.low_stock] == [("Oak Lamp", 0, 5), ("Linen Shirt", 2, 5)]
    assert board.waiting_to_ship_count == 5  # A, B, C, F, H: paid, not shipped
    assert [o.pk for o in board.waiting_to_ship] == [shop_history[n].pk for n in "HFCAB"]  # oldest first


def test_the_figures_are_eleven_queries_however_many_orders(shop_history, django_assert_num_queries, store, ready_cart):
    reports.dashboard()  # the first computes and stores the past days (commerce.orders.rollup)
    # stored days, today's sums, new customers, counters, stored best sellers, today's, low stock, waiting, count
    with django_assert_num_queries(11):
        reports.dashboard()
    for _ in range(3):
        checkout.complete(ready_cart((store.mug, 1)))
    with django_assert_num_queries(11):
        reports.dashboard()


def test_a_past_day_is_computed_again_once_one_of_its_orders_changed(shop_history, staff_user,
                                                                     django_capture_on_commit_callbacks):
    assert str(reports.dashboard().periods[0].previous.sales.revenue) == "20.83"  # yesterday's C, now stored
    with django_capture_on_commit_callbacks(execute=True):
        payments.refund(shop_history["C"], amount=Decimal("5.00"), actor=staff_user)
    yesterday = reports.dashboard().periods[0].previous.sales
    assert (str(yesterday.revenue), str(yesterday.refunded), yesterday.orders) == ("15.83", "5.00", 1)
    assert str(reports.dashboard().periods[1].current.sales.refunded) == "10.00"  # B's 5.00 and now C's


def test_the_admin_home_page_is_the_dashboard_in_a_fixed_number_of_queries(admin_client, shop_history,
                                                                            django_assert_num_queries):
    admin_client.get("/admin/")  # the first computes and stores the past days
    with django_assert_num_queries(16):  # the session and user, their two-factor devices, the admin log, the eleven
        page = admin_client.get("/admin/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<svg id="sales-chart" role="img"' in html and "<title id=\"sales-chart-title\">" in html
    assert html.count('class="kpi"') == 18 and "93.18 USD" in html and "80.0%" in html
    assert 'id="sales-chart-table"' in html and 'id="live-board"' in html
    assert "Waiting to ship (5)" in html and "Oak Lamp" in html and "Pending returns (0)" in html
    assert html.index('id="dashboard"') < html.index('id="content-main"')  # above the app list


def test_staff_whose_second_factor_is_not_verified_see_no_figures(client, staff_user, shop_history):
    TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)
    client.force_login(staff_user)
    page = client.get("/admin/")
    assert page.status_code == 302 and page["Location"].startswith("/admin/login/")


def test_customers_see_no_figures(client, customer):
    client.force_login(customer)
    assert client.get("/admin/").status_code == 302
