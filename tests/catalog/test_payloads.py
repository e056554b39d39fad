"""What a mutation's payload shows of the catalog is what a query shows: every field, `isAvailable` included, and
nested lists that cost the same number of queries however many entries they hold."""
import pytest
from strawberry import relay

from commerce.catalog.wishlist import add_to_wishlist
from commerce.orders import checkout

AVAILABLE = "isAvailable variants { sku isAvailable } images { url }"


def gid(obj) -> str:
    return relay.to_base64(type(obj).__name__, obj.pk)


def run(gql, operation, **variables):
    answer = gql(operation, variables)
    (payload,) = answer.ok().values()
    return payload


def test_every_staff_payload_shows_whether_its_product_is_available(staff_gql, make_product, make_category):
    home = make_category("Home")
    created = run(staff_gql, f"""mutation ($input: ProductCreateInput!) {{ productCreate(input: $input) {{
      product {{ name {AVAILABLE} category {{ products {{ edges {{ node {{ isAvailable }} }} }} }} }} }} }}""",
                  input={"name": "Oak Lamp", "categoryId": gid(home)})
    assert created["product"] == {"name": "Oak Lamp", "isAvailable": False, "variants": [], "images": [],
                                  "category": {"products": {"edges": [{"node": {"isAvailable": False}}]}}}
    mug = make_product("Ceramic Mug", variants=[("12.50", 3)], images=2)
    updated = run(staff_gql, f"""mutation ($id: ID!) {{ productUpdate(id: $id, input: {{name: "Big Mug"}}) {{
      product {{ name {AVAILABLE} }} }} }}""", id=gid(mug))
    assert updated["product"] == {"name": "Big Mug", "isAvailable": True, "variants": [
        {"sku": mug.variants.get().sku, "isAvailable": True}], "images": [{"url": i.url} for i in mug.images.all()]}
    variant = mug.variants.get()
    stock = f"""mutation ($id: ID!, $quantity: Int!) {{ variantStockSet(id: $id, quantity: $quantity) {{
      variant {{ isAvailable quantityAvailable product {{ {AVAILABLE} }} }} }} }}"""
    sold_out = run(staff_gql, stock, id=gid(variant), quantity=0)["variant"]
    assert (sold_out["isAvailable"], sold_out["quantityAvailable"], sold_out["product"]["isAvailable"]) == (
        False, 0, False)
    created_variant = run(staff_gql, """mutation ($id: ID!) { variantCreate(productId: $id,
      input: {sku: "MUG-XL", price: "19.00", stock: 2}) { variant { isAvailable product { isAvailable } } } }""",
                          id=gid(mug))
    assert created_variant["variant"] == {"isAvailable": True, "product": {"isAvailable": True}}
    updated_variant = run(staff_gql, """mutation ($id: ID!) { variantUpdate(id: $id, input: {name: "Small"}) {
      variant { name isAvailable } } }""", id=gid(variant))
    assert updated_variant["variant"] == {"name": "Small", "isAvailable": False}
    deleted = run(staff_gql, """mutation ($id: ID!) { productDelete(id: $id) {
      product { id name isAvailable variants { sku } } } }""", id=gid(mug))
    assert deleted["product"] == {"id": gid(mug), "name": "Big Mug", "isAvailable": False, "variants": []}


def test_an_archived_products_payload_shows_it_unavailable(staff_gql, store, ready_cart):
    checkout.complete(ready_cart((store.mug, 1)))
    archived = run(staff_gql, """mutation ($id: ID!) { productDelete(id: $id) {
      product { isPublished isAvailable variants { isAvailable quantityAvailable } } } }""", id=gid(store.mug.product))
    assert archived["product"] == {"isPublished": False, "isAvailable": False,
                                   "variants": [{"isAvailable": False, "quantityAvailable": 99}]}


def test_the_wishlist_payload_shows_availability(gql, customer, make_product):
    mug, lamp = make_product("Ceramic Mug", variants=[("12.50", 3)]), make_product("Oak Lamp", variants=[("9", 0)])
    gql.login(customer)
    add = f"""mutation ($id: ID!) {{ wishlistAdd(productId: $id) {{ wishlist {{ name {AVAILABLE} }} }} }}"""
    run(gql, add, id=gid(mug))
    wishlist = run(gql, add, id=gid(lamp))["wishlist"]
    assert [(p["name"], p["isAvailable"], [v["isAvailable"] for v in p["variants"]]) for p in wishlist] == [
        ("Oak Lamp", False, [False]), ("Ceramic Mug", True, [True])]


def test_the_sales_reports_products_show_availability(staff_gql, store, ready_cart, pay, settings):
    settings.SALES_REPORT_MAX_DAYS = 40_000  # the whole century these reports ask about
    pay(checkout.complete(ready_cart((store.mug, 2), (store.shirt, 1))))
    report = staff_gql("""{ salesReport(from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z") {
      topProducts { product { name isAvailable variants { isAvailable } } } } }""").ok()["salesReport"]
    assert report["topProducts"] == [
        {"product": {"name": "Ceramic Mug", "isAvailable": True, "variants": [{"isAvailable": True}]}},
        {"product": {"name": "Linen Shirt", "isAvailable": True, "variants": [{"isAvailable": True}]}}]


WISHLIST_ADD = """mutation ($id: ID!) { wishlistAdd(productId: $id) { wishlist { name
  variants { sku isAvailable } images { url } category { name } } } }"""
ME = "{ me { wishlist { name isAvailable variants { sku } images { url } category { name } } } }"


@pytest.mark.parametrize("operation", ["wishlistAdd", "me"])
def test_the_wishlist_costs_the_same_queries_at_two_lengths(gql, customer, make_product, make_category, operation):
    home = make_category("Home")
    gql.login(customer)
    products = [make_product(f"Product {n}", home, variants=[("5", 1), ("6", 2)], images=2) for n in range(6)]
    counts = {}
    for size in (2, 6):
        for product in products[:size]:
            add_to_wishlist(customer, product.pk)
        answer = gql(WISHLIST_ADD, {"id": gid(products[0])}) if operation == "wishlistAdd" else gql(ME)
        wishlist = next(iter(answer.ok().values()))["wishlist"]
        assert len(wishlist) == size and all(len(p["variants"]) == 2 and len(p["images"]) == 2 for p in wishlist)
        assert {p["category"]["name"] for p in wishlist} == {"Home"}
        counts[size] = answer.queries
    assert counts[2] == counts[6], counts


def test_the_reports_top_products_cost_the_same_queries_at_two_sizes(staff_gql, make_product, ready_cart, pay,
                                                                      store, settings):
    settings.SALES_REPORT_MAX_DAYS = 40_000  # the whole century these reports ask about
    report = """query ($first: Int) { salesReport(from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z") {
      topProducts(first: $first) { product { name variants { sku } images { url } } } } }"""
    variants = [make_product(f"Product {n}", variants=[("5", 10), ("6", 10)], images=2).variants.first()
                for n in range(5)]
    pay(checkout.complete(ready_cart(*[(v, 1) for v in variants])))
    counts = {}
    for first in (2, 5):
        answer = staff_gql(report, {"first": first})
        top = answer.ok()["salesReport"]["topProducts"]
        assert len(top) == first and all(len(p["product"]["variants"]) == 2 for p in top)
        counts[first] = answer.queries
    assert counts[2] == counts[5], counts
