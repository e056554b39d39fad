"""Numbers: consecutive under concurrency on PostgreSQL, given back by a rollback; lists of orders with their
invoices at a constant SQL cost; and the admin's view of them."""
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from commerce.invoices import numbers, services
from commerce.invoices.models import Invoice
from commerce.orders.models import Order

YEAR = timezone.localdate().year
ORDERS_WITH_INVOICES = """query ($first: Int) { orders(first: $first) { edges { node { number
  invoices { id number kind url createdAt } } } } }"""


def test_a_rolled_back_issue_gives_its_number_back(db):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert numbers.take("INVOICE")[2] == f"INV-{YEAR}-000001"
        1 / 0
    with transaction.atomic():
        assert numbers.take("INVOICE") == (YEAR, 1, f"INV-{YEAR}-000001")
        assert numbers.take("CREDIT_NOTE") == (YEAR, 1, f"CN-{YEAR}-000001")  # a sequence per kind
        assert numbers.take("INVOICE")[2] == f"INV-{YEAR}-000002"


def test_concurrent_issues_get_distinct_consecutive_numbers(postgres, transactional_db, settings):
    """Twelve transactions take a number at once, each holding it a moment before it commits, the first of the year
    among them (so the year's counter row is created by a race too); every third rolls back, and its number is
    taken by one that commits after it."""
    settings.INVOICE_NUMBER_PREFIX = "F-"
    start, taken, lock = threading.Barrier(12), [], threading.Lock()

    def issue(n: int) -> None:
        try:
            start.wait(timeout=10)
            with transaction.atomic():
                year, sequence, number = numbers.take("INVOICE")
                threading.Event().wait(0.02)
                if n % 3 == 0:
                    transaction.set_rollback(True)
                else:
                    with lock:
                        taken.append(number)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(taken) == [f"F-{YEAR}-{n:06d}" for n in range(1, 9)]


def test_two_staff_requesting_one_order_s_invoice_at_once_get_one(postgres, transactional_db, paid_order, staff_user):
    start, errors = threading.Barrier(4), []

    def request() -> None:
        try:
            start.wait(timeout=10)
            services.request_invoice(Order.objects.get(pk=paid_order.pk), actor=staff_user)
        except Exception as error:  # noqa: BLE001 (any error fails the test below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and list(Invoice.objects.values_list("number", flat=True)) == [f"INV-{YEAR}-000001"]


def _orders_with_invoices(count: int, staff_user) -> None:
    for n in range(count):
        order = Order.objects.create(email=f"b{n}@example.com", currency="EUR", subtotal=Decimal("10.00"),
                                     total=Decimal("10.00"), payment_status="PAID", status="PAID")
        services.request_invoice(order, actor=staff_user)
        Order.objects.filter(pk=order.pk).update(refunded_total=Decimal("4.00"))
        with transaction.atomic():
            services.credit_refund(order.events.create(type="REFUNDED", status="PAID", payment_status="PAID"))
    Invoice.objects.update(file="private/invoices/x.pdf")  # as if rendered: each has a url


@pytest.mark.parametrize("first", [2, 10])
def test_a_page_of_orders_with_their_invoices_costs_the_same_sql_at_any_size(staff_gql, staff_user, first):
    _orders_with_invoices(10, staff_user)
    response = staff_gql(ORDERS_WITH_INVOICES, {"first": first})
    edges = response.ok()["orders"]["edges"]
    assert len(edges) == first and all(len(e["node"]["invoices"]) == 2 for e in edges)
    assert all(i["url"] for e in edges for i in e["node"]["invoices"])
    # the staff member (the bearer token's), the page of orders, every order's invoices
    assert response.queries == 3


def test_the_order_admin_lists_its_invoices_with_links_and_can_request_one(admin_client, paid_order):
    changelist = "/admin/orders/order/"
    admin_client.post(changelist, {"action": "request_invoice", "_selected_action": [paid_order.pk]})
    invoice = Invoice.objects.get()
    page = admin_client.get(f"/admin/orders/order/{paid_order.pk}/change/").content.decode()
    assert invoice.number in page and "being rendered" in page
    services.render(invoice.pk)
    page = admin_client.get(f"/admin/orders/order/{paid_order.pk}/change/").content.decode()
    link = page.split('href="/invoices/', 1)[1].split('"', 1)[0]
    assert admin_client.get(f"/invoices/{link}").status_code == 200
    listing = admin_client.get("/admin/invoices/invoice/")
    assert listing.status_code == 200 and invoice.number in listing.content.decode()
    assert admin_client.get(f"/admin/invoices/invoice/{invoice.pk}/change/").status_code == 200
