"""The Django admin: a page for every model that staff can open and search, CSV exports of orders and products,
and actions and deletions that follow the same rules as the API."""
import csv
import io

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from commerce.catalog.models import Category, Product, ProductVariant
from commerce.orders import checkout
from commerce.orders.models import Order

OUR_APPS = {"accounts", "catalog", "carts", "orders", "payments", "notifications", "audit"}


@pytest.fixture
def orders(store, ready_cart, pay):
    paid = pay(checkout.complete(ready_cart((store.shirt, 2), email="=1+1@example.com")))
    unpaid = checkout.complete(ready_cart((store.mug, 3)))
    return paid, unpaid


def rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_every_model_has_an_admin_page_that_opens_and_searches(admin_client, orders):
    models = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]
    assert [m._meta.label for m in models if m not in admin.site._registry] == []
    for model in models:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
        if admin.site._registry[model].search_fields:
            assert admin_client.get(url, {"q": "a"}).status_code == 200, url
        first = model.objects.first()
        if first is not None:
            change = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[first.pk])
            assert admin_client.get(change).status_code == 200, change


def test_orders_export_as_csv_with_formulas_defused(admin_client, orders):
    paid, unpaid = orders
    response = admin_client.post(reverse("admin:orders_order_changelist"),
                                 {"action": "export_orders_csv", "_selected_action": [paid.pk, unpaid.pk]})
    header, *lines = rows(response)
    assert header[:7] == ["number", "created_at", "email", "status", "payment_status", "currency", "items"]
    by_number = {line[0]: dict(zip(header, line)) for line in lines}
    assert by_number[paid.number]["email"] == "'=1+1@example.com"
    assert (by_number[paid.number]["status"], by_number[paid.number]["items"], by_number[paid.number]["total"]) == (
        "PAID", "2", "77.35")
    assert (by_number[unpaid.number]["payment_status"], by_number[unpaid.number]["country"]) == ("NOT_PAID", "DE")


def test_products_export_as_csv_a_row_per_variant(admin_client, make_product):
    shirt = make_product("Linen Shirt", variants=[("30.00", 5), ("40.00", 0)])
    bare = make_product("Bare", variants=[])
    response = admin_client.post(reverse("admin:catalog_product_changelist"),
                                 {"action": "export_products_csv", "_selected_action": [shirt.pk, bare.pk]})
    header, *lines = rows(response)
    table = [dict(zip(header, line)) for line in lines]
    assert [(r["product"], r["sku"], r["price"], r["stock"]) for r in table] == [
        ("Linen Shirt", shirt.variants.first().sku, "30.00", "5"),
        ("Linen Shirt", shirt.variants.last().sku, "40.00", "0"),
        ("Bare", "", "", "")]


def test_an_admin_cancel_of_a_paid_order_refunds_it_first(admin_client, orders, superuser):
    paid, _ = orders
    admin_client.post(reverse("admin:orders_order_changelist"), {"action": "cancel", "_selected_action": [paid.pk]})
    paid.refresh_from_db()
    assert (paid.status, paid.payment_status, paid.refunded_total) == ("CANCELLED", "REFUNDED", paid.total)


def test_deleting_an_ordered_product_in_the_admin_unpublishes_it(admin_client, orders, store):
    shirt = store.shirt.product
    response = admin_client.post(reverse("admin:catalog_product_delete", args=[shirt.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert Product.objects.get(pk=shirt.pk).is_published is False
    assert Order.objects.get(pk=orders[0].pk).lines.get().variant_id == store.shirt.pk


def test_deleting_an_ordered_variant_in_the_admin_archives_it_as_the_api_does(admin_client, orders, store):
    response = admin_client.post(reverse("admin:catalog_productvariant_delete", args=[store.shirt.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert ProductVariant.all_objects.get(pk=store.shirt.pk).is_archived is True
    assert Order.objects.get(pk=orders[0].pk).lines.get().variant_id == store.shirt.pk


def test_a_category_holding_products_cannot_be_deleted_in_the_admin(admin_client, make_category, make_product):
    clothing = make_category("Clothing")
    make_product("Linen Shirt", make_category("Shirts", clothing))
    page = admin_client.get(reverse("admin:catalog_category_delete", args=[clothing.pk]))
    assert "Linen Shirt (product)" in page.content.decode()
    admin_client.post(reverse("admin:catalog_category_delete", args=[clothing.pk]), {"post": "yes"})
    assert Category.objects.filter(pk=clothing.pk).exists()


def test_a_category_cannot_be_moved_below_itself_in_the_admin(admin_client, make_category):
    clothing = make_category("Clothing")
    men = make_category("Men", clothing)
    response = admin_client.post(reverse("admin:catalog_category_change", args=[clothing.pk]),
                                 {"name": "Clothing", "slug": "clothing", "description": "", "parent": men.pk})
    assert response.status_code == 200 and "cannot be moved below itself" in response.content.decode()
    assert Category.objects.get(pk=clothing.pk).parent is None


def test_a_variant_or_review_stays_with_its_product_when_edited_in_the_admin(admin_client, make_product):
    """Moving one would leave the first product's price range or rating counting it: the product is not editable
    once the row exists (delete it and add it to the other product instead)."""
    mug = make_product("Ceramic Mug", variants=[("12.50", 100), ("90.00", 1)], ratings=[1])
    lamp = make_product("Oak Lamp", variants=[("55.50", 0)], ratings=[5])
    dear, review = mug.variants.get(price="90.00"), mug.reviews.get()
    admin_client.post(reverse("admin:catalog_productvariant_change", args=[dear.pk]), {
        "product": lamp.pk, "sku": dear.sku, "name": "Big", "price": "95.00", "stock": "1",
        "position": "0", "low_stock_threshold": "", "options-TOTAL_FORMS": "0", "options-INITIAL_FORMS": "0"})
    admin_client.post(reverse("admin:catalog_review_change", args=[review.pk]), {
        "product": lamp.pk, "author_name": "Ann", "rating": "2", "title": "Meh", "body": "", "user": ""})
    mug.refresh_from_db(), lamp.refresh_from_db()
    assert (mug.variants.count(), mug.min_price, mug.max_price, mug.rating_count, mug.rating_average) == (
        2, 12.5, 95, 1, 2)
    assert (lamp.variants.count(), lamp.min_price, lamp.max_price, lamp.rating_count, lamp.rating_average) == (
        1, 55.5, 55.5, 1, 5)
    assert admin_client.get(reverse("admin:catalog_productvariant_add")).status_code == 200


def test_the_admin_deletes_an_empty_category_with_its_subcategories_as_the_api_does(admin_client, make_category):
    clothing = make_category("Clothing")
    empty = make_category("Empty", clothing)
    make_category("Emptier", empty)
    page = admin_client.get(reverse("admin:catalog_category_delete", args=[empty.pk])).content.decode()
    assert "Emptier" in page and "Cannot delete" not in page
    admin_client.post(reverse("admin:catalog_category_delete", args=[empty.pk]), {"post": "yes"})
    assert list(Category.objects.values_list("name", flat=True)) == ["Clothing"]


def test_staff_set_a_variants_options_in_the_admin_checked_as_the_api_checks_them(admin_client, make_product):
    from commerce.catalog import attributes
    from commerce.catalog.models import AssignedValue, AttributeAssignment

    color = attributes.create_attribute(name="Color", type="CHOICE", filterable=True, values=["Red", "Blue"])
    mug = make_product("Ceramic Mug", variants=[("12.50", 100)], options=[[]])
    variant = mug.variants.get()
    url = reverse("admin:catalog_productvariant_change", args=[variant.pk])
    form = {"sku": variant.sku, "name": "Red", "price": "12.50", "stock": "100", "position": "0",
            "low_stock_threshold": "", "options-TOTAL_FORMS": "1", "options-INITIAL_FORMS": "0",
            "options-0-attribute": color.pk, "options-0-chosen": [color.values.get(slug="red").pk],
            "options-0-number": "3", "options-0-boolean": "", "options-0-text": "", "options-0-position": "1"}
    refused = admin_client.post(url, form)
    assert refused.status_code == 200 and "a CHOICE attribute: give &#x27;values&#x27;" in refused.content.decode()
    assert not AttributeAssignment.objects.filter(variant=variant).exists()

    assert admin_client.post(url, {**form, "options-0-number": ""}).status_code == 302
    option = AttributeAssignment.objects.get(variant=variant)
    assert (option.product_id, [v.slug for v in option.values.all()]) == (mug.pk, ["red"])
    assert AssignedValue.objects.get(assignment=option).product_id == mug.pk  # what filters and facets read
    assert admin_client.get(url).status_code == 200
