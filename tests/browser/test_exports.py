"""An Excel export downloaded from the admin in a real browser opens with openpyxl and holds the expected rows:
the selected products through the action, and every product the changelist's search matches through its button."""
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PASSWORD = "a-long-password-1"


@pytest.fixture(scope="module")
def catalog(django_db_setup, django_db_blocker):
    """Committed before the server and the browser start (the tests themselves use no database): a staff member
    and three products, one named like a formula."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from commerce.accounts.models import User
    from commerce.catalog.models import Product, ProductVariant

    with django_db_blocker.unblock():
        # Hashed as the server hashes (the tests' settings hash with MD5, which the deployed server does not read).
        staff = User.objects.create(email="exporter@example.com", is_staff=True, is_superuser=True,
                                    password=PBKDF2PasswordHasher().encode(PASSWORD, "exports-browser-salt"))
        products = []
        for n, name in enumerate(["Export Lamp", "Export Chair", "=Export Table"]):
            product = Product.objects.create(name=name, slug=f"export-{n}", is_published=True)
            ProductVariant.objects.create(product=product, sku=f"EXP-{n}", price=Decimal("10.00") + n, stock=n)
            products.append(product)
    yield products
    with django_db_blocker.unblock():
        Product.objects.filter(pk__in=[p.pk for p in products]).delete()
        staff.delete()


def _signed_in(tab, site):
    tab.page.goto(f"{site}/admin/login/?next=/admin/catalog/product/%3Fq%3DExport")
    tab.page.fill("#id_username", "exporter@example.com")
    tab.page.fill("#id_password", PASSWORD)
    tab.page.click("input[type=submit]")
    tab.page.wait_for_url(lambda url: "/admin/login/" not in url)


def _rows(download) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active  # the path has no .xlsx
    return list(sheet.iter_rows(values_only=True))


@pytest.mark.django_db  # before the browser starts; it also makes the test database exist when this module runs alone
def test_the_product_list_offers_excel_for_the_selected_and_for_all_it_shows(client, staff_user, make_product):
    make_product("Export Stool")
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    page = client.get("/admin/catalog/product/", {"q": "Export"}).content.decode()
    assert 'value="export_products_xlsx"' in page
    assert '/admin/catalog/product/export/products/xlsx/?q=Export"' in page


def test_an_excel_export_from_the_admin_opens_with_openpyxl(catalog, tab, site, artifact):
    _signed_in(tab, site)
    tab.page.screenshot(path=artifact("exports-product-list.png"), full_page=True)
    tab.page.check("#action-toggle")  # every product on the page
    tab.page.select_option("select[name=action]", "export_products_xlsx")
    with tab.page.expect_download() as selected:
        tab.page.click("button[name=index]")
    header, *rows = _rows(selected.value)
    assert header[:2] == ("product_id", "product") and "sale_price" in header
    by_name = {row[1]: dict(zip(header, row)) for row in rows}
    assert sorted(by_name) == ["'=Export Table", "Export Chair", "Export Lamp"]
    assert (by_name["Export Chair"]["sku"], by_name["Export Chair"]["price"], by_name["Export Chair"]["stock"]) == (
        "EXP-1", 11, 1)

    with tab.page.expect_download() as matching:
        tab.page.click("text=Export all: products as Excel")
    header, *rows = _rows(matching.value)
    assert sorted(row[1] for row in rows) == ["'=Export Table", "Export Chair", "Export Lamp"]
    assert matching.value.suggested_filename == "products.xlsx"
    assert tab.errors == []
