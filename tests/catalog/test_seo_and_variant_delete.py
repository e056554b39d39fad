"""Staff set a product's SEO title and description (with fallbacks a storefront can always print), and delete
variants: one no order holds is deleted, one an order holds is archived so the order keeps it, and either way it
leaves the product, its price range, every cart and every lookup."""
import pytest

from commerce.carts.models import CartLine
from commerce.catalog.models import Product, ProductVariant
from commerce.errors import DomainError
from commerce.orders import checkout
from commerce.orders.models import OrderLine
from tests.carts.conftest import errors
from tests.catalog.test_staff_catalog import PRODUCT_CREATE, PRODUCT_UPDATE, gid, run

SEO = "query ($id: ID!) { product(id: $id) { seo { title description } } }"
VARIANT_DELETE = """mutation ($id: ID!) { variantDelete(id: $id) { variant { id sku } errors { field code } } }"""
PRICES = "query ($id: ID!) { product(id: $id) { priceRange { min { amount } max { amount } } variants { sku } } }"


def test_seo_falls_back_to_the_name_and_the_start_of_the_description(gql, make_product):
    product = make_product("Linen Shirt")
    Product.objects.filter(pk=product.pk).update(description="A  shirt\nof washed linen, " + "soft and cool " * 20)
    seo = gql(SEO, {"id": gid(product)}).ok()["product"]["seo"]
    assert seo["title"] == "Linen Shirt"
    assert seo["description"].startswith("A shirt of washed linen, soft and cool")
    assert len(seo["description"]) <= 160 and seo["description"].endswith("…")
    assert seo["description"][:-1].split()[-1] in {"soft", "and", "cool"}  # cut at a word, never inside one


def test_staff_set_seo_on_create_and_update_and_it_wins_over_the_fallbacks(staff_gql):
    created = run(staff_gql, PRODUCT_CREATE, input={"name": "Mug", "seoTitle": "The best mug"})
    product_id = created["product"]["id"]
    run(staff_gql, PRODUCT_UPDATE, id=product_id, input={"seoDescription": "Holds coffee."})
    assert staff_gql(SEO, {"id": product_id}).ok()["product"]["seo"] == {"title": "The best mug",
                                                                        "description": "Holds coffee."}
    too_long = run(staff_gql, PRODUCT_UPDATE, id=product_id, input={"seoTitle": "x" * 71})
    assert errors(too_long) == [(["input", "seoTitle"], "INVALID")]


def test_deleting_a_variant_no_order_holds_removes_it_and_fixes_the_price_range(staff_gql, gql, make_product):
    mug = make_product("Mug", variants=[("12.50", 5), ("14.00", 5)])
    cheap = mug.variants.order_by("price").first()
    deleted = run(staff_gql, VARIANT_DELETE, id=gid(cheap))
    assert deleted == {"variant": {"id": gid(cheap), "sku": cheap.sku}, "errors": []}
    assert not ProductVariant.all_objects.filter(pk=cheap.pk).exists()
    product = gql(PRICES, {"id": gid(mug)}).ok()["product"]
    assert product["priceRange"] == {"min": {"amount": "14.00"}, "max": {"amount": "14.00"}}


def test_a_variant_an_order_holds_is_archived_the_order_keeps_it_and_carts_drop_it(staff_gql, gql, store,
                                                                                   ready_cart, customer):
    order = checkout.complete(ready_cart((store.shirt, 1)))
    waiting = ready_cart((store.shirt, 2), (store.mug, 1), email="someone@example.com")
    deleted = run(staff_gql, VARIANT_DELETE, id=gid(store.shirt))
    assert deleted["errors"] == [] and deleted["variant"]["id"] == gid(store.shirt)

    line = OrderLine.objects.select_related("variant").get(order=order)
    assert (line.variant_id, line.variant.is_archived, line.sku) == (store.shirt.pk, True, store.shirt.sku)
    assert not CartLine.objects.filter(cart=waiting, variant_id=store.shirt.pk).exists()
    assert CartLine.objects.filter(cart=waiting).count() == 1
    assert gql("query ($id: ID!) { node(id: $id) { id } }", {"id": gid(store.shirt)}).ok()["node"] is None
    listed = gql(PRICES, {"id": gid(store.shirt.product)}).ok()["product"]["variants"]
    assert store.shirt.sku not in [v["sku"] for v in listed]
    # its SKU is free again for a new variant
    recreated = run(staff_gql, """mutation ($p: ID!, $sku: String!) { variantCreate(productId: $p,
      input: {sku: $sku, price: "9.00"}) { variant { sku } errors { field code } } }""",
                    p=gid(store.shirt.product), sku=store.shirt.sku)
    assert recreated == {"variant": {"sku": store.shirt.sku}, "errors": []}


def test_a_checkout_of_a_cart_holding_a_variant_archived_meanwhile_is_refused(staff_gql, store, ready_cart):
    checkout.complete(ready_cart((store.shirt, 1)))
    cart = ready_cart((store.shirt, 1), email="late@example.com")
    ProductVariant.objects.filter(pk=store.shirt.pk).update(is_archived=True)  # as if archived after the cart read
    with pytest.raises(DomainError) as refused:
        checkout.complete(cart)
    assert [(e.code, e.field) for e in refused.value.errors] == [("NOT_PURCHASABLE", ["lines", "0"])]


def test_variant_delete_is_for_staff_and_unknown_ids_are_not_found(staff_gql, customer, store):
    gone = run(staff_gql, VARIANT_DELETE, id=gid(store.mug))
    assert errors(run(staff_gql, VARIANT_DELETE, id=gone["variant"]["id"])) == [(["id"], "NOT_FOUND")]
    staff_gql.login(customer)
    assert staff_gql(VARIANT_DELETE, {"id": gid(store.shirt)}).codes == ["FORBIDDEN"]
