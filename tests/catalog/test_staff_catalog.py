"""Staff manage the catalog over the API: products, variants, stock and categories, with the catalog's derived
figures (price range, listings) right after every change, and nobody else allowed to."""
import pytest
from django.test import Client, override_settings
from strawberry import relay

from commerce.catalog.models import Category, Product, ProductVariant
from commerce.orders import checkout
from commerce.orders.models import OrderLine
from tests.carts.conftest import errors
from tests.conftest import GraphQLClient

PRODUCT = "product { id slug name description isPublished category { slug } priceRange { min { amount } max { amount } } }"
PRODUCT_CREATE = f"""mutation ($input: ProductCreateInput!) {{ productCreate(input: $input) {{ {PRODUCT}
  errors {{ field code }} }} }}"""
PRODUCT_UPDATE = f"""mutation ($id: ID!, $input: ProductUpdateInput!) {{ productUpdate(id: $id, input: $input) {{
  {PRODUCT} errors {{ field code }} }} }}"""
PRODUCT_DELETE = """mutation ($id: ID!) { productDelete(id: $id) { product { id isPublished } errors { field code } } }"""
VARIANT = "variant { id sku name price { amount } quantityAvailable attributes { name value } product { name } }"
VARIANT_CREATE = f"""mutation ($product: ID!, $input: VariantCreateInput!) {{
  variantCreate(productId: $product, input: $input) {{ {VARIANT} errors {{ field code }} }} }}"""
VARIANT_UPDATE = f"""mutation ($id: ID!, $input: VariantUpdateInput!) {{ variantUpdate(id: $id, input: $input) {{
  {VARIANT} errors {{ field code }} }} }}"""
STOCK_SET = """mutation ($id: ID!, $quantity: Int!) { variantStockSet(id: $id, quantity: $quantity) {
  variant { quantityAvailable } errors { field code } } }"""
CATEGORY = "category { id slug name description parent { slug } }"
CATEGORY_CREATE = f"""mutation ($input: CategoryCreateInput!) {{ categoryCreate(input: $input) {{ {CATEGORY}
  errors {{ field code }} }} }}"""
CATEGORY_UPDATE = f"""mutation ($id: ID!, $input: CategoryUpdateInput!) {{ categoryUpdate(id: $id, input: $input) {{
  {CATEGORY} errors {{ field code }} }} }}"""
CATEGORY_DELETE = """mutation ($id: ID!) { categoryDelete(id: $id) { category { id } errors { field code } } }"""
PRODUCT_BY_SLUG = f"query ($slug: String!) {{ product(slug: $slug) {PRODUCT.removeprefix('product ')} }}"


def gid(obj) -> str:
    return relay.to_base64(type(obj).__name__, obj.pk)


def run(gql, operation, **variables):
    (payload,) = gql(operation, variables).ok().values()
    return payload


@pytest.fixture
def mug(make_product):
    return make_product("Ceramic Mug", variants=[("12.50", 100), ("14.00", 10)])


def test_every_staff_mutation_is_forbidden_to_customers_and_anonymous_callers(gql, customer, mug, make_category):
    variant, home = mug.variants.first(), make_category("Home")
    operations = [
        (PRODUCT_CREATE, {"input": {"name": "X"}}),
        (PRODUCT_UPDATE, {"id": gid(mug), "input": {"name": "X"}}),
        (PRODUCT_DELETE, {"id": gid(mug)}),
        (VARIANT_CREATE, {"product": gid(mug), "input": {"sku": "X-1", "price": "1.00"}}),
        (VARIANT_UPDATE, {"id": gid(variant), "input": {"price": "1.00"}}),
        (STOCK_SET, {"id": gid(variant), "quantity": 0}),
        (CATEGORY_CREATE, {"input": {"name": "X"}}),
        (CATEGORY_UPDATE, {"id": gid(home), "input": {"name": "X"}}),
        (CATEGORY_DELETE, {"id": gid(home)}),
    ]
    for signed_in in (False, True):
        if signed_in:
            gql.login(customer)
        for operation, variables in operations:
            answer = gql(operation, variables)
            assert answer.codes == ["FORBIDDEN"] and answer.data is None, operation
    assert (Product.objects.count(), Category.objects.count()) == (1, 1)
    assert list(mug.variants.values_list("price", "stock")) == [(12.5, 100), (14, 10)]


def test_staff_create_a_product_with_a_unique_slug_in_a_category(staff_gql, make_category):
    shirts = make_category("Shirts")
    first = run(staff_gql, PRODUCT_CREATE, input={"name": "Linen Shirt", "categoryId": gid(shirts),
                                                  "description": "Cool."})
    second = run(staff_gql, PRODUCT_CREATE, input={"name": "Linen  Shirt!"})
    assert first["errors"] == [] and second["errors"] == []
    assert (first["product"]["slug"], second["product"]["slug"]) == ("linen-shirt", "linen-shirt-2")
    assert first["product"]["category"] == {"slug": "shirts"} and first["product"]["isPublished"] is True
    assert Product.objects.get(slug="linen-shirt").listed_in.get() == shirts
    taken = run(staff_gql, PRODUCT_CREATE, input={"name": "Other", "slug": "linen-shirt"})
    assert errors(taken) == [(["input", "slug"], "ALREADY_EXISTS")] and taken["product"] is None
    blank = run(staff_gql, PRODUCT_CREATE, input={"name": "  ", "slug": "not a slug"})
    assert sorted(errors(blank)) == [(["input", "name"], "REQUIRED"), (["input", "slug"], "INVALID")]
    unknown = run(staff_gql, PRODUCT_CREATE, input={"name": "Y", "categoryId": relay.to_base64("Category", 999)})
    assert errors(unknown) == [(["input", "categoryId"], "NOT_FOUND")]
    assert Product.objects.count() == 2


def test_an_update_changes_only_the_fields_given(staff_gql, mug, make_category):
    home = make_category("Home")
    changed = run(staff_gql, PRODUCT_UPDATE, id=gid(mug), input={"name": "Big Mug", "categoryId": gid(home)})
    assert changed["product"]["name"] == "Big Mug" and changed["product"]["slug"] == "ceramic-mug"
    assert changed["product"]["category"] == {"slug": "home"}
    out = run(staff_gql, PRODUCT_UPDATE, id=gid(mug), input={"categoryId": None, "isPublished": False})
    assert (out["product"]["name"], out["product"]["category"], out["product"]["isPublished"]) == ("Big Mug", None, False)
    assert not Product.objects.get(pk=mug.pk).listed_in.exists()
    customer_view = GraphQLClient(Client())
    assert customer_view(PRODUCT_BY_SLUG, {"slug": "ceramic-mug"}).ok()["product"] is None  # unpublished: hidden
    nulled = run(staff_gql, PRODUCT_UPDATE, id=gid(mug), input={"name": None})
    assert errors(nulled) == [(["input", "name"], "REQUIRED")]
    assert Product.objects.get(pk=mug.pk).name == "Big Mug"


def test_deleting_a_product_without_orders_removes_it(staff_gql, mug):
    deleted = run(staff_gql, PRODUCT_DELETE, id=gid(mug))
    assert deleted == {"product": {"id": gid(mug), "isPublished": True}, "errors": []}
    assert not Product.objects.filter(pk=mug.pk).exists() and not ProductVariant.objects.exists()


def test_deleting_a_product_that_was_ordered_unpublishes_it_and_the_order_keeps_its_lines(staff_gql, store, ready_cart):
    order = checkout.complete(ready_cart((store.shirt, 2)))
    shirt = store.shirt.product
    deleted = run(staff_gql, PRODUCT_DELETE, id=gid(shirt))
    assert deleted == {"product": {"id": gid(shirt), "isPublished": False}, "errors": []}
    line = OrderLine.objects.get(order=order)
    assert (line.product_name, line.sku, line.quantity, line.variant_id) == ("Linen Shirt", store.shirt.sku, 2,
                                                                            store.shirt.pk)
    assert Product.objects.get(pk=shirt.pk).is_published is False


def test_variants_keep_the_products_price_range_right(staff_gql, mug):
    created = run(staff_gql, VARIANT_CREATE, product=gid(mug), input={
        "sku": "MUG-XL", "name": "XL", "price": "19.90", "stock": 3,
        "attributes": [{"name": "Size", "value": "XL"}]})
    assert created["errors"] == [] and created["variant"]["attributes"] == [{"name": "Size", "value": "XL"}]
    price_range = run(staff_gql, PRODUCT_BY_SLUG, slug="ceramic-mug")["priceRange"]
    assert (price_range["min"]["amount"], price_range["max"]["amount"]) == ("12.50", "19.90")
    cheapest = mug.variants.get(price="12.50")
    changed = run(staff_gql, VARIANT_UPDATE, id=gid(cheapest), input={"price": "25.00"})
    assert changed["variant"]["name"] == cheapest.name and changed["variant"]["sku"] == cheapest.sku
    price_range = run(staff_gql, PRODUCT_BY_SLUG, slug="ceramic-mug")["priceRange"]
    assert (price_range["min"]["amount"], price_range["max"]["amount"]) == ("14.00", "25.00")
    assert ProductVariant.objects.get(sku="MUG-XL").position == 2


def test_a_sku_clash_and_bad_prices_are_refused(staff_gql, mug):
    taken_sku = mug.variants.first().sku
    clash = run(staff_gql, VARIANT_CREATE, product=gid(mug), input={"sku": taken_sku, "price": "1.00"})
    assert errors(clash) == [(["input", "sku"], "ALREADY_EXISTS")]
    other = mug.variants.last()
    assert errors(run(staff_gql, VARIANT_UPDATE, id=gid(other), input={"sku": taken_sku})) == [
        (["input", "sku"], "ALREADY_EXISTS")]
    negative = run(staff_gql, VARIANT_CREATE, product=gid(mug), input={"sku": "N-1", "price": "-1.00", "stock": -2})
    assert sorted(errors(negative)) == [(["input", "price"], "INVALID"), (["input", "stock"], "INVALID")]
    fraction = run(staff_gql, VARIANT_UPDATE, id=gid(other), input={"price": "1.005"})
    assert errors(fraction) == [(["input", "price"], "INVALID")]
    gone = run(staff_gql, VARIANT_CREATE, product=relay.to_base64("Product", 999), input={"sku": "Z", "price": "1"})
    assert errors(gone) == [(["productId"], "NOT_FOUND")]
    assert mug.variants.count() == 2 and Product.objects.get(pk=mug.pk).max_price == 14


def test_stock_is_set_but_never_below_zero(staff_gql, mug):
    variant = mug.variants.first()
    assert run(staff_gql, STOCK_SET, id=gid(variant), quantity=7) == {"variant": {"quantityAvailable": 7}, "errors": []}
    refused = run(staff_gql, STOCK_SET, id=gid(variant), quantity=-1)
    assert errors(refused) == [(["quantity"], "INVALID")] and refused["variant"] is None
    assert ProductVariant.objects.get(pk=variant.pk).stock == 7


@override_settings(LOW_STOCK_THRESHOLD=5)
def test_counting_stock_down_under_the_threshold_alerts_staff_once(staff_gql, staff_user, mug, jobs, mailoutbox):
    variant = mug.variants.first()
    run(staff_gql, STOCK_SET, id=gid(variant), quantity=5)  # 100 -> 5: not under
    run(staff_gql, STOCK_SET, id=gid(variant), quantity=2)  # 5 -> 2: crosses
    run(staff_gql, STOCK_SET, id=gid(variant), quantity=1)  # already under: no second alert
    run(staff_gql, STOCK_SET, id=gid(variant), quantity=50)  # restocked: no alert
    jobs.run()
    assert [m.subject for m in mailoutbox if m.to == [staff_user.email]] == ["Low stock: Ceramic Mug / Size 0 (2 left)"]


def test_categories_are_created_moved_and_never_below_themselves(staff_gql):
    clothing = run(staff_gql, CATEGORY_CREATE, input={"name": "Clothing"})["category"]
    men = run(staff_gql, CATEGORY_CREATE, input={"name": "Men", "parentId": clothing["id"]})["category"]
    shirts = run(staff_gql, CATEGORY_CREATE, input={"name": "Men", "parentId": men["id"]})["category"]
    assert (men["slug"], shirts["slug"], shirts["parent"]) == ("men", "men-2", {"slug": "men"})
    cycle = run(staff_gql, CATEGORY_UPDATE, id=clothing["id"], input={"parentId": shirts["id"]})
    assert errors(cycle) == [(["input", "parentId"], "INVALID")]
    itself = run(staff_gql, CATEGORY_UPDATE, id=men["id"], input={"parentId": men["id"]})
    assert errors(itself) == [(["input", "parentId"], "INVALID")]
    renamed = run(staff_gql, CATEGORY_UPDATE, id=shirts["id"], input={"name": "Shirts", "slug": "shirts"})
    assert renamed["category"]["parent"] == {"slug": "men"} and renamed["category"]["slug"] == "shirts"
    root = run(staff_gql, CATEGORY_UPDATE, id=men["id"], input={"parentId": None})["category"]
    assert root["parent"] is None
    assert dict(Category.objects.values_list("slug", "level")) == {"clothing": 0, "men": 0, "shirts": 1}


def test_a_category_holding_products_is_not_deleted(staff_gql, make_category, make_product):
    clothing = make_category("Clothing")
    shirts = make_category("Shirts", clothing)
    empty = make_category("Empty", clothing)
    make_category("Emptier", empty)
    make_product("Linen Shirt", shirts)
    refused = run(staff_gql, CATEGORY_DELETE, id=gid(clothing))
    assert errors(refused) == [(["id"], "CATEGORY_NOT_EMPTY")] and refused["category"] is None
    deleted = run(staff_gql, CATEGORY_DELETE, id=gid(empty))
    assert deleted == {"category": {"id": gid(empty)}, "errors": []}
    assert set(Category.objects.values_list("slug", flat=True)) == {"clothing", "shirts"}
