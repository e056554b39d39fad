"""Exports from the admin: orders, order lines, products with variants and stock, and customers, as CSV and Excel;
the selected rows or every row the changelist's filters match; large ones written by a job and mailed as a signed,
expiring link that only the staff member it was sent to can open; formulas defused in both formats."""
import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from django.core import signing
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from commerce.accounts.models import User
from commerce.catalog.exports import PRODUCTS
from commerce.catalog.models import Product
from commerce.exports import files
from commerce.orders import checkout
from commerce.orders.models import Order
from tests.mail import sent_to

ORDERS_LIST = "admin:orders_order_changelist"


@pytest.fixture
def orders(store, ready_cart, pay):
    paid = pay(checkout.complete(ready_cart((store.shirt, 2), email="=1+1@example.com")))
    unpaid = checkout.complete(ready_cart((store.mug, 3), (store.shirt, 1)))
    return paid, unpaid


def table(response) -> list[dict]:
    """The rows of an export, as {header: value}, read back from CSV or with openpyxl from Excel."""
    body = b"".join(response.streaming_content)
    if response["Content-Type"].startswith("text/csv"):
        header, *lines = csv.reader(io.StringIO(body.decode()))
    else:
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        sheet = load_workbook(io.BytesIO(body), read_only=True).active
        header, *lines = ([cell for cell in row] for row in sheet.iter_rows(values_only=True))
    return [dict(zip(header, line)) for line in lines]


def export(client, list_name: str, action: str, selected) -> list[dict]:
    response = client.post(reverse(list_name), {"action": action, "_selected_action": [o.pk for o in selected]})
    assert response.status_code == 200, response
    return table(response)


def test_orders_in_both_formats_with_formulas_defused(admin_client, orders):
    paid, unpaid = orders
    as_csv = {r["number"]: r for r in export(admin_client, ORDERS_LIST, "export_orders_csv", orders)}
    as_xlsx = {str(r["number"]): r for r in export(admin_client, ORDERS_LIST, "export_orders_xlsx", orders)}
    assert as_csv[paid.number]["email"] == as_xlsx[paid.number]["email"] == "'=1+1@example.com"
    assert (as_csv[paid.number]["status"], as_csv[paid.number]["items"], as_csv[paid.number]["total"]) == (
        "PAID", "2", "77.35")
    # Excel keeps types: numbers as numbers, the time as a date (UTC), the email as text, not a formula
    assert (as_xlsx[paid.number]["status"], as_xlsx[paid.number]["items"], as_xlsx[paid.number]["total"]) == (
        "PAID", 2, 77.35)
    assert as_xlsx[unpaid.number]["created_at"].replace(microsecond=0) == unpaid.created_at.replace(
        tzinfo=None, microsecond=0)
    assert (as_xlsx[unpaid.number]["payment_status"], as_xlsx[unpaid.number]["country"]) == ("NOT_PAID", "DE")


def test_no_formula_reaches_the_workbook(admin_client, orders):
    response = admin_client.post(reverse(ORDERS_LIST), {"action": "export_orders_xlsx",
                                                         "_selected_action": [orders[0].pk]})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [c.value for c in cells if c.data_type == "f"] == []
    assert "'=1+1@example.com" in [c.value for c in cells]


def test_order_lines_of_the_selected_orders(admin_client, orders):
    paid, unpaid = orders
    for action in ("export_order_lines_csv", "export_order_lines_xlsx"):
        lines = export(admin_client, ORDERS_LIST, action, [unpaid])
        assert [(str(r["order"]), r["product"], str(r["quantity"]), str(r["unit_price"])) for r in lines] == [
            (unpaid.number, "Ceramic Mug", "3", "12.5" if action.endswith("xlsx") else "12.50"),
            (unpaid.number, "Linen Shirt", "1", "30" if action.endswith("xlsx") else "30.00")]


def test_products_a_row_per_variant_with_options_sale_price_and_stock(admin_client, make_product):
    shirt = make_product("Linen Shirt", variants=[("30.00", 5), ("40.00", 0)])
    shirt.variants.filter(position=1).update(sale_price=Decimal("35.00"))
    bare = make_product("=Bare", variants=[])
    for fmt in ("csv", "xlsx"):
        rows = export(admin_client, "admin:catalog_product_changelist", f"export_products_{fmt}", [shirt, bare])
        assert [(r["product"], r["sku"], r["options"], str(r["stock"]), str(r["sale_price"])) for r in rows] == [
            ("Linen Shirt", "T1-0", "Size: 0; Color: Blue", "5", "" if fmt == "csv" else "None"),
            ("Linen Shirt", "T1-1", "Size: 1; Color: Blue", "0", "35.00" if fmt == "csv" else "35"),
            ("'=Bare", "" if fmt == "csv" else None, "" if fmt == "csv" else None, "" if fmt == "csv" else "None",
             "" if fmt == "csv" else "None")]


def test_customers_in_both_formats(admin_client, customer):
    User.objects.filter(pk=customer.pk).update(first_name="@SUM(A1)")
    for fmt in ("csv", "xlsx"):
        rows = {r["email"]: r for r in export(admin_client, "admin:accounts_user_changelist",
                                              f"export_customers_{fmt}", [customer])}
        assert list(rows) == ["customer@example.com"]
        assert rows["customer@example.com"]["first_name"] == "'@SUM(A1)"
        assert str(rows["customer@example.com"]["staff"]) == "False"


def test_the_button_exports_every_row_the_current_filter_matches(admin_client, orders):
    paid, unpaid = orders
    page = admin_client.get(reverse(ORDERS_LIST), {"status__exact": "UNPAID"}).content.decode()
    (link,) = re.findall(r'href="([^"]+/export/orders/xlsx/[^"]*)"', page)
    assert "status__exact=UNPAID" in link
    rows = table(admin_client.get(link.replace("&amp;", "&")))
    assert [str(r["number"]) for r in rows] == [unpaid.number]
    every = table(admin_client.get(reverse("admin:orders_order_export", args=["order_lines", "csv"])))
    assert sorted(r["order"] for r in every) == sorted([paid.number, unpaid.number, unpaid.number])


def test_the_query_count_does_not_grow_with_the_rows(admin_client, make_product):
    def queries(count: int) -> int:
        Product.objects.all().delete()
        products = [make_product(f"P{n}-{count}", variants=[("10.00", 1), ("12.00", 2)]) for n in range(count)]
        with CaptureQueriesContext(connection) as ctx:
            assert len(list(PRODUCTS.rows(Product.objects.filter(pk__in=[p.pk for p in products])))) == 2 * count
        return len(ctx.captured_queries)

    assert queries(2) == queries(12)


def test_the_query_count_of_orders_does_not_grow_with_the_rows(store, ready_cart, make_product):
    from commerce.orders.exports import ORDER_LINES, ORDERS

    lamp = make_product("Lamp", variants=[("5.00", 100)]).variants.get()

    def queries(dataset, count: int) -> int:
        Order.objects.all().delete()
        for _ in range(count):
            checkout.complete(ready_cart((store.mug, 1), (lamp, 1)))
        with CaptureQueriesContext(connection) as ctx:
            assert len(list(dataset.rows(Order.objects.all()))) == count * (2 if dataset is ORDER_LINES else 1)
        return len(ctx.captured_queries)

    assert queries(ORDERS, 1) == queries(ORDERS, 4)
    assert queries(ORDER_LINES, 1) == queries(ORDER_LINES, 4)


# --- Large exports: a job writes the file and mails a link.

@pytest.fixture
def mailed_export(jobs, mailoutbox, staff_user, store, ready_cart):
    """Three orders exported from the changelist over a limit of 2 rows: the link the job mailed."""
    staff_user.is_superuser = True
    staff_user.save()
    for email in ("a@example.com", "b@example.com", "+c@example.com"):
        checkout.complete(ready_cart((store.mug, 1), email=email))
    staff = Client()
    staff.force_login(staff_user)
    with override_settings(EXPORT_INLINE_MAX_ROWS=2):
        response = staff.get(reverse("admin:orders_order_export", args=["orders", "xlsx"]), follow=True)
    assert "a link to it will be emailed to staff@example.com" in response.content.decode()
    jobs.run()
    (message,) = sent_to(mailoutbox, "staff@example.com", "export is ready")
    (url,) = re.findall(r"http://testserver(/admin/exports/download/[^/\s]+/)", message.body)
    return staff, url


@pytest.mark.django_db(transaction=True)
def test_a_large_export_is_mailed_and_the_link_opens_for_its_staff_member(mailed_export):
    staff, url = mailed_export
    rows = table(staff.get(url))
    assert sorted(r["email"] for r in rows) == ["'+c@example.com", "a@example.com", "b@example.com"]
    assert len(rows) == Order.objects.count()


@pytest.mark.django_db(transaction=True)
def test_the_link_is_refused_to_anyone_else_tampered_or_expired(mailed_export, customer):
    staff, url = mailed_export
    assert Client().get(url).status_code == 404  # no session
    other = Client()
    other.force_login(customer)
    assert other.get(url).status_code == 404  # not staff
    colleague = User.objects.create_user("colleague@example.com", "a-long-password-1", is_staff=True)
    other.force_login(colleague)
    assert other.get(url).status_code == 404  # staff, but not the one it was sent to
    token = url.rstrip("/").rsplit("/", 1)[-1]
    tampered = url.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert staff.get(tampered).status_code == 404
    with override_settings(EXPORT_LINK_LIFETIME=timedelta(seconds=-1)):
        assert staff.get(url).status_code == 404
    assert staff.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_expired_files_are_deleted_and_their_links_answer_404(mailed_export):
    staff, url = mailed_export
    files.purge_expired()
    assert staff.get(url).status_code == 200  # fresh: kept
    with override_settings(EXPORT_LINK_LIFETIME=timedelta(days=-2)):
        assert files.purge_expired() >= 1  # this one (and those of the tests before)
    assert staff.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_staff_member_asking_for_too_many_large_exports_waits(jobs, mailoutbox, admin_client, orders):
    with override_settings(EXPORT_INLINE_MAX_ROWS=1, EXPORT_LARGE_MAX_PER_HOUR=1):
        first = admin_client.get(reverse("admin:orders_order_export", args=["orders", "csv"]), follow=True)
        second = admin_client.get(reverse("admin:orders_order_export", args=["orders", "csv"]), follow=True)
    assert "a link to it will be emailed" in first.content.decode()
    assert "try again later" in second.content.decode()
    jobs.run()
    assert len(sent_to(mailoutbox, "staff@example.com", "export is ready")) == 1


def test_the_job_run_twice_writes_one_file_and_sends_one_email(orders, staff_user, mailoutbox):
    from tasks.exports import write_export

    runs = files.id_runs(iter(sorted(o.pk for o in orders)))
    for _ in range(2):  # a retry after a lost acknowledgement
        write_export("a-retried-export-0123456789abcdef", "order_lines", "csv", runs, staff_user.pk, "http://shop")
    (message,) = sent_to(mailoutbox, "staff@example.com", "export is ready")
    assert "http://shop/admin/exports/download/" in message.body
    assert default_storage.listdir("private/exports/a-retried-export-0123456789abcdef")[1] == ["order_lines.csv"]


def _served(path: str) -> int:
    """The status the server's file layer (project/files.py, in front of Django) answers for `path`."""
    from asgiref.testing import ApplicationCommunicator

    from project.files import serve_files

    async def django(scope, receive, send):  # what Django answers for a path no URL matches
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def get():
        communicator = ApplicationCommunicator(serve_files(django), {
            "type": "http", "method": "GET", "path": path, "query_string": b"", "headers": [], "scheme": "http",
            "server": ("testserver", 80), "http_version": "1.1", "root_path": ""})
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(5)
        return start["status"]

    return async_to_sync(get)()


@pytest.mark.django_db(transaction=True)
def test_the_file_is_not_served_as_media(mailed_export, settings, tmp_path):
    staff, url = mailed_export
    name = signing.TimestampSigner(salt="commerce.exports.download").unsign_object(url.split("/")[-2])["name"]
    assert name.startswith("private/exports/") and len(name.split("/")[2]) >= 32 and default_storage.exists(name)
    settings.SERVE_MEDIA, settings.STATIC_ROOT = True, tmp_path
    media = "/" + settings.MEDIA_URL.strip("/") + "/"
    upload = default_storage.save("public.txt", io.BytesIO(b"an upload"))
    assert _served(f"{media}{upload}") == 200
    assert _served(f"{media}{name}") == 404
    assert _served(f"{media}private//exports/../exports/{name.split('/', 2)[2]}") == 404


def test_id_runs_compact_consecutive_ids():
    assert files.id_runs(iter([1, 2, 3, 7, 9, 10])) == [[1, 3], [7, 7], [9, 10]]
