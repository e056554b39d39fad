"""Sales: staff schedule them, the storefront sees current and compare-at prices, carts re-price and orders keep both.

The shop (tests/catalog/conftest.py): Clothing > Men > Shirts, and Home; a linen shirt (30.00 and 40.00) in
Shirts, a wool jacket (120.00) in Men, an oak lamp (55.50) and a ceramic mug (12.50) in Home.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from strawberry.relay import to_base64

from commerce.carts import services as carts
from commerce.catalog import sales as sale_service
from commerce.catalog.models import Product, ProductVariant, Sale
from commerce.orders import checkout

SALE_FIELDS = "id name percentOff amountOff { amount currency } startsAt endsAt isActive"
CREATE = f"""mutation($input: SaleCreateInput!) {{ saleCreate(input: $input) {{ sale {{ {SALE_FIELDS} }}
  errors {{ field code message }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: SaleUpdateInput!) {{ saleUpdate(id: $id, input: $input) {{
  sale {{ {SALE_FIELDS} }} errors {{ field code message }} }} }}"""
DELETE = f"""mutation($id: ID!) {{ saleDelete(id: $id) {{ sale {{ {SALE_FIELDS} }} errors {{ field code }} }} }}"""
SALES = f"""query($active: Boolean) {{ sales(first: 10, active: $active) {{ totalCount
  edges {{ node {{ {SALE_FIELDS} }} }} }} }}"""
PRODUCT = """query($slug: String!) { product(slug: $slug) { onSale
  priceRange { min { amount } max { amount } compareAtMin { amount } compareAtMax { amount } }
  variants { price { amount } compareAtPrice { amount } } } }"""


@pytest.fixture
def shopper(db):
    """An anonymous storefront, beside the signed-in staff client (gql and staff_gql are one client)."""
    from django.test import Client

    from tests.conftest import GraphQLClient

    return GraphQLClient(Client())


def gid(node, type_name=None):
    return to_base64(type_name or type(node).__name__, node.pk)


def prices(client, product):
    """What the storefront shows of a product: on sale, its ranges, and each variant's (price, compare-at)."""
    shown = client(PRODUCT, {"slug": product.slug}).ok()["product"]
    amount = lambda money: money and money["amount"]  # noqa: E731
    ranges = shown["priceRange"]
    return {"on_sale": shown["onSale"],
            "range": (ranges["min"]["amount"], ranges["max"]["amount"]),
            "compare_at": (amount(ranges["compareAtMin"]), amount(ranges["compareAtMax"])),
            "variants": [(v["price"]["amount"], amount(v["compareAtPrice"])) for v in shown["variants"]]}


def create(staff_gql, **input):
    return staff_gql(CREATE, {"input": {"name": "Summer", **input}}).ok()["saleCreate"]


def errors(payload):
    return [(e["field"], e["code"]) for e in payload["errors"]]


def test_a_percent_sale_lowers_the_price_and_shows_what_it_was(staff_gql, shopper, shop):
    payload = create(staff_gql, percentOff="25", productIds=[gid(shop.shirt)])
    assert payload["errors"] == [] and payload["sale"]["isActive"] and payload["sale"]["percentOff"] == "25.00"
    assert prices(shopper, shop.shirt) == {"on_sale": True, "range": ("22.50", "30.00"),
                                       "compare_at": ("30.00", "40.00"),
                                       "variants": [("22.50", "30.00"), ("30.00", "40.00")]}
    assert prices(shopper, shop.jacket)["on_sale"] is False
    assert prices(shopper, shop.jacket)["compare_at"] == (None, None)


def test_an_amount_sale_takes_the_amount_off_every_variant(staff_gql, shopper, shop):
    payload = create(staff_gql, amountOff="5", productIds=[gid(shop.shirt), gid(shop.mug)])
    assert payload["sale"]["amountOff"] == {"amount": "5.00", "currency": "USD"}
    assert prices(shopper, shop.shirt)["variants"] == [("25.00", "30.00"), ("35.00", "40.00")]
    assert prices(shopper, shop.mug)["range"] == ("7.50", "7.50")


def test_a_category_sale_reaches_every_category_below_it_and_products_that_move_in(staff_gql, shopper, shop):
    create(staff_gql, percentOff="10", categoryIds=[gid(shop.men, "Category")])
    assert prices(shopper, shop.shirt)["range"] == ("27.00", "36.00")  # Shirts is below Men
    assert prices(shopper, shop.jacket)["range"] == ("108.00", "108.00")
    assert prices(shopper, shop.mug)["on_sale"] is False  # Home

    moved = staff_gql("""mutation($id: ID!, $c: ID) { productUpdate(id: $id, input: {categoryId: $c}) {
        product { priceRange { min { amount } compareAtMin { amount } } } } }""",
                      {"id": gid(shop.mug), "c": gid(shop.shirts, "Category")}).ok()["productUpdate"]["product"]
    assert moved["priceRange"] == {"min": {"amount": "11.25"}, "compareAtMin": {"amount": "12.50"}}

    staff_gql("""mutation($id: ID!, $p: ID) { categoryUpdate(id: $id, input: {parentId: $p}) { errors { code } } }""",
              {"id": gid(shop.shirts, "Category"), "p": gid(shop.home, "Category")}).ok()
    assert prices(shopper, shop.shirt)["on_sale"] is False  # Shirts moved out from under Men
    assert prices(shopper, shop.mug)["on_sale"] is False


def test_overlapping_sales_give_the_buyer_the_best_price_never_both(staff_gql, shopper, shop):
    create(staff_gql, name="Ten percent", percentOff="10", categoryIds=[gid(shop.clothing, "Category")])
    create(staff_gql, name="Eight off", amountOff="8", productIds=[gid(shop.shirt)])
    # 30.00: 10% is 27.00, 8 off is 22.00; 40.00: 10% is 36.00, 8 off is 32.00; the jacket: only 10%
    assert prices(shopper, shop.shirt)["variants"] == [("22.00", "30.00"), ("32.00", "40.00")]
    create(staff_gql, name="Half", percentOff="50", productIds=[gid(shop.shirt)])
    assert prices(shopper, shop.shirt)["variants"] == [("15.00", "30.00"), ("20.00", "40.00")]
    assert prices(shopper, shop.jacket)["range"] == ("108.00", "108.00")


def test_a_variant_price_edit_is_repriced_under_the_running_sale(staff_gql, shopper, shop):
    create(staff_gql, percentOff="50", productIds=[gid(shop.mug)])
    variant = shop.mug.variants.get()
    staff_gql("""mutation($id: ID!) { variantUpdate(id: $id, input: {price: "20.00"}) { errors { code } } }""",
              {"id": gid(variant)}).ok()
    added = staff_gql("""mutation($id: ID!) { variantCreate(productId: $id, input: {sku: "MUG-XL", price: "30.00"}) {
        errors { code } } }""", {"id": gid(shop.mug)}).ok()
    assert added["variantCreate"]["errors"] == []
    assert prices(shopper, shop.mug)["variants"] == [("10.00", "20.00"), ("15.00", "30.00")]


def test_the_minute_job_starts_and_ends_a_scheduled_sale(staff_gql, shopper, shop):
    now = timezone.now()
    starts, ends = now + timedelta(hours=1), now + timedelta(hours=3)
    sale = create(staff_gql, percentOff="20", productIds=[gid(shop.mug)], startsAt=starts.isoformat(),
                  endsAt=ends.isoformat())["sale"]
    assert sale["isActive"] is False and prices(shopper, shop.mug)["on_sale"] is False

    assert sale_service.apply_scheduled_sales(now + timedelta(minutes=30)) == 0  # nothing due yet
    assert sale_service.apply_scheduled_sales(starts) == 1  # the minute it starts
    assert prices(shopper, shop.mug)["variants"] == [("10.00", "12.50")]
    assert sale_service.apply_scheduled_sales(starts + timedelta(minutes=1)) == 0  # already applied: nothing to do

    assert sale_service.apply_scheduled_sales(ends) == 1
    assert prices(shopper, shop.mug) == {"on_sale": False, "range": ("12.50", "12.50"), "compare_at": (None, None),
                                     "variants": [("12.50", None)]}


def test_the_job_catches_up_on_a_sale_that_started_and_ended_while_it_was_down(staff_gql, shopper, shop):
    now = timezone.now()
    sale = create(staff_gql, percentOff="20", productIds=[gid(shop.mug)], startsAt=(now + timedelta(hours=1)).isoformat(),
                  endsAt=(now + timedelta(hours=2)).isoformat())["sale"]
    assert sale_service.apply_scheduled_sales(now + timedelta(hours=5)) == 0  # never running when looked at
    assert prices(shopper, shop.mug)["on_sale"] is False
    Sale.objects.filter(name="Summer").update(starts_at=now - timedelta(minutes=5))  # moved: running now
    assert sale_service.apply_scheduled_sales() == 1 and prices(shopper, shop.mug)["on_sale"] is True
    assert staff_gql(SALES, {"active": True}).ok()["sales"]["edges"][0]["node"]["id"] == sale["id"]


def test_the_scheduler_sends_the_sales_job_every_minute_and_a_worker_applies_it(shop, jobs):
    from dramatiq_crontab import scheduler

    from tasks.catalog import apply_scheduled_sales

    trigger = str(next(job.trigger for job in scheduler.get_jobs() if job.name == "apply_scheduled_sales"))
    assert "minute='*'" in trigger and "hour='*'" in trigger
    sale = sale_service.create_sale(name="Soon", percent_off=Decimal("50"), product_ids=[shop.mug.pk],
                                    starts_at=timezone.now() + timedelta(hours=1))
    Sale.objects.filter(pk=sale.pk).update(starts_at=timezone.now() - timedelta(seconds=1))  # its minute came
    apply_scheduled_sales.send()  # what the scheduler enqueues
    jobs.run()
    assert ProductVariant.objects.get(product=shop.mug).sale_price == Decimal("6.25")


PAGE = """query($filter: ProductFilter, $sort: ProductSort) { products(first: 10, filter: $filter, sort: $sort) {
  edges { node { name } } } }"""


def names(client, **variables):
    return [e["node"]["name"] for e in client(PAGE, variables).ok()["products"]["edges"]]


def test_the_price_filter_and_sort_use_the_sale_price_while_it_runs_and_not_after(staff_gql, shopper, shop):
    now = timezone.now()
    cheap = {"priceMax": "20.00"}
    ascending = {"field": "PRICE", "direction": "ASC"}
    assert names(shopper, filter=cheap) == ["Ceramic Mug"]
    assert names(shopper, sort=ascending) == ["Ceramic Mug", "Linen Shirt", "Oak Lamp", "Wool Jacket"]

    create(staff_gql, percentOff="90", productIds=[gid(shop.jacket)], endsAt=(now + timedelta(hours=1)).isoformat())
    assert names(shopper, filter=cheap) == ["Ceramic Mug", "Wool Jacket"]  # 12.00
    assert names(shopper, sort=ascending) == ["Wool Jacket", "Ceramic Mug", "Linen Shirt", "Oak Lamp"]

    sale_service.apply_scheduled_sales(now + timedelta(hours=1))  # it ends on its own
    assert names(shopper, filter=cheap) == ["Ceramic Mug"]
    assert names(shopper, sort=ascending) == ["Ceramic Mug", "Linen Shirt", "Oak Lamp", "Wool Jacket"]


CART = "query($token: String!) { cart(token: $token) { subtotal { amount } discount { amount } " \
       "lines { unitPrice { amount } } warnings { code message } } }"


def test_a_cart_line_reprices_with_a_warning_when_a_sale_starts_and_ends(staff_gql, shopper, store):
    cart = carts.create_cart(None, lines=[carts.LineRequest(store.mug.pk, 2)])
    sale = create(staff_gql, percentOff="20", productIds=[gid(store.mug.product)])["sale"]
    seen = shopper(CART, {"token": cart.token}).ok()["cart"]
    assert seen["lines"][0]["unitPrice"]["amount"] == "10.00" and seen["subtotal"]["amount"] == "20.00"
    assert [w["code"] for w in seen["warnings"]] == ["PRICE_CHANGED"]
    assert "12.50 to 10.00" in seen["warnings"][0]["message"]

    carts.update_lines(cart, [carts.LineUpdate(cart.lines.get().pk, 3)])  # the customer saw it: the warning goes
    assert shopper(CART, {"token": cart.token}).ok()["cart"]["warnings"] == []

    Sale.objects.filter(pk=Sale.objects.get().pk).update(ends_at=timezone.now())
    sale_service.apply_scheduled_sales()
    seen = shopper(CART, {"token": cart.token}).ok()["cart"]
    assert seen["lines"][0]["unitPrice"]["amount"] == "12.50" and seen["subtotal"]["amount"] == "37.50"
    assert [w["code"] for w in seen["warnings"]] == ["PRICE_CHANGED"] and sale["id"]


def test_an_order_keeps_the_price_paid_and_the_regular_price_and_a_voucher_still_applies(
        staff_gql, store, ready_cart, customer):
    create(staff_gql, amountOff="2.50", productIds=[gid(store.mug.product)])
    order = checkout.complete(ready_cart((store.mug, 4), user=customer, voucher="SAVE10"))
    line = order.lines.get()
    assert (line.unit_price, line.undiscounted_unit_price, line.total) == (Decimal("10.00"), Decimal("12.50"),
                                                                           Decimal("40.00"))
    assert (order.subtotal, order.discount) == (Decimal("40.00"), Decimal("4.00"))  # the voucher on the sale price

    ProductVariant.objects.filter(pk=store.mug.pk).update(price=Decimal("99.00"), sale_price=None)  # later changes
    shown = staff_gql("""query($id: ID!) { order(id: $id) { lines { unitPrice { amount }
        undiscountedUnitPrice { amount } } } }""", {"id": gid(order)}).ok()["order"]["lines"][0]
    assert shown == {"unitPrice": {"amount": "10.00"}, "undiscountedUnitPrice": {"amount": "12.50"}}


def test_staff_update_and_delete_a_sale_and_prices_follow(staff_gql, shopper, shop):
    sale = create(staff_gql, percentOff="10", productIds=[gid(shop.mug)])["sale"]
    updated = staff_gql(UPDATE, {"id": sale["id"], "input": {"amountOff": "2", "productIds": [gid(shop.lamp)]}}).ok()
    assert updated["saleUpdate"]["sale"]["percentOff"] is None
    assert updated["saleUpdate"]["sale"]["amountOff"]["amount"] == "2.00"
    assert prices(shopper, shop.mug)["on_sale"] is False  # no longer in the sale
    assert prices(shopper, shop.lamp)["range"] == ("53.50", "53.50")

    deleted = staff_gql(DELETE, {"id": sale["id"]}).ok()["saleDelete"]
    assert deleted["errors"] == [] and deleted["sale"]["id"] == sale["id"]
    assert prices(shopper, shop.lamp)["on_sale"] is False and not Sale.objects.exists()


def test_staff_list_sales_running_or_not(staff_gql, shop):
    now = timezone.now()
    create(staff_gql, name="Now", percentOff="10")
    create(staff_gql, name="Later", percentOff="10", startsAt=(now + timedelta(days=1)).isoformat())
    create(staff_gql, name="Over", percentOff="10", startsAt=(now - timedelta(days=2)).isoformat(),
           endsAt=(now - timedelta(days=1)).isoformat())
    listed = lambda active: [e["node"]["name"] for e in staff_gql(SALES, {"active": active}).ok()["sales"]["edges"]]  # noqa: E731
    assert listed(None) == ["Over", "Later", "Now"]
    assert listed(True) == ["Now"]
    assert listed(False) == ["Over", "Later"]


def test_sales_are_for_staff_only(gql, customer, shop):
    sale = sale_service.create_sale(name="Secret", percent_off=Decimal("30"))
    for caller in (gql, gql.login(customer)):
        assert caller(SALES).codes == ["FORBIDDEN"]
        for operation, variables in [(CREATE, {"input": {"name": "x", "percentOff": "10"}}),
                                     (UPDATE, {"id": gid(sale), "input": {"name": "y"}}), (DELETE, {"id": gid(sale)})]:
            answer = caller(operation, variables)
            assert answer.codes == ["FORBIDDEN"] and answer.data is None
        node = caller("query($id: ID!) { node(id: $id) { ... on Sale { name } } }", {"id": gid(sale)}).ok()
        assert node["node"] is None
    assert Sale.objects.get().name == "Secret"


@pytest.mark.parametrize(("input", "expected"), [
    ({"percentOff": "100.01"}, [(["input", "percentOff"], "INVALID")]),
    ({"percentOff": "0"}, [(["input", "percentOff"], "INVALID")]),
    ({"percentOff": "-5"}, [(["input", "percentOff"], "INVALID")]),
    ({"amountOff": "0"}, [(["input", "amountOff"], "INVALID")]),
    ({}, [(["input", "percentOff"], "REQUIRED")]),
    ({"percentOff": "10", "amountOff": "5"}, [(["input", "amountOff"], "INVALID")]),
    ({"percentOff": "10", "startsAt": "2030-01-02T00:00:00Z", "endsAt": "2030-01-01T00:00:00Z"},
     [(["input", "endsAt"], "INVALID")]),
    ({"percentOff": "10", "name": "  "}, [(["input", "name"], "REQUIRED")]),
])
def test_bad_sales_are_refused_and_nothing_is_written(staff_gql, shop, input, expected):
    payload = staff_gql(CREATE, {"input": {"name": "Bad", "productIds": [gid(shop.mug)], **input}}).ok()["saleCreate"]
    assert errors(payload) == expected and payload["sale"] is None
    assert not Sale.objects.exists() and not ProductVariant.objects.filter(sale_price__isnull=False).exists()


def test_an_amount_over_the_price_of_a_variant_the_sale_reaches_is_refused(staff_gql, shopper, shop):
    payload = create(staff_gql, amountOff="12.51", productIds=[gid(shop.mug)])
    assert errors(payload) == [(["input", "amountOff"], "INVALID")] and "12.50" in payload["errors"][0]["message"]
    payload = create(staff_gql, amountOff="13", categoryIds=[gid(shop.home, "Category")])  # the mug is in Home
    assert errors(payload) == [(["input", "amountOff"], "INVALID")]
    free = create(staff_gql, amountOff="12.50", productIds=[gid(shop.mug)])  # the whole price: allowed, never below 0
    assert free["errors"] == [] and prices(shopper, shop.mug)["range"] == ("0.00", "0.00")
    update = staff_gql(UPDATE, {"id": free["sale"]["id"], "input": {"productIds": [gid(shop.mug), gid(shop.lamp)],
                                                                     "amountOff": "20"}}).ok()["saleUpdate"]
    assert errors(update) == [(["input", "amountOff"], "INVALID")]
    assert Sale.objects.get().amount_off == Decimal("12.50")


def test_an_update_is_checked_against_the_sale_as_it_would_be(staff_gql, shop):
    sale = create(staff_gql, amountOff="5", productIds=[gid(shop.mug)])["sale"]
    both = staff_gql(UPDATE, {"id": sale["id"], "input": {"percentOff": "10", "amountOff": "5"}}).ok()["saleUpdate"]
    assert errors(both) == [(["input", "amountOff"], "INVALID")]
    neither = staff_gql(UPDATE, {"id": sale["id"], "input": {"amountOff": None}}).ok()["saleUpdate"]
    assert errors(neither) == [(["input", "percentOff"], "REQUIRED")]
    ends = staff_gql(UPDATE, {"id": sale["id"], "input": {"startsAt": "2030-01-02T00:00:00Z",
                                                           "endsAt": "2030-01-02T00:00:00Z"}}).ok()["saleUpdate"]
    assert errors(ends) == [(["input", "endsAt"], "INVALID")]
    unknown = staff_gql(UPDATE, {"id": sale["id"], "input": {"productIds": [to_base64("Product", 99999)]}}).ok()
    assert errors(unknown["saleUpdate"]) == [(["input", "productIds", "0"], "NOT_FOUND")]
    missing = staff_gql(DELETE, {"id": to_base64("Sale", 99999)}).ok()["saleDelete"]
    assert errors(missing) == [(["id"], "NOT_FOUND")]


def test_product_lists_cost_the_same_queries_during_a_sale(staff_gql, shopper, shop):
    page = """{ products(first: 10) { edges { node { onSale priceRange { min { amount } compareAtMin { amount } }
        variants { price { amount } compareAtPrice { amount } } } } } }"""
    before = shopper(page).queries
    create(staff_gql, percentOff="10", categoryIds=[gid(shop.clothing, "Category")])
    during = shopper(page)
    assert during.queries == before == 2  # products, variants
    assert sum(n["node"]["onSale"] for n in during.ok()["products"]["edges"]) == 2
    assert Product.objects.filter(compare_at_min_price__isnull=False).count() == 3  # the draft scarf too


def test_staff_schedule_a_sale_in_the_admin_and_prices_follow(client, staff_user, shop):
    from django.urls import reverse

    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    add = reverse("admin:catalog_sale_add")
    form = {"name": "Home week", "percent_off": "", "amount_off": "20", "categories": [shop.home.pk],
            "starts_at_0": "", "starts_at_1": "", "ends_at_0": "", "ends_at_1": ""}
    refused = client.post(add, form)  # 20 off the 12.50 mug
    assert refused.status_code == 200 and "more than the price of" in refused.content.decode()
    assert not Sale.objects.exists()

    assert client.post(add, {**form, "amount_off": "2.50"}).status_code == 302
    sale = Sale.objects.get()
    assert ProductVariant.objects.get(product=shop.mug).sale_price == Decimal("10.00")
    assert client.get(reverse("admin:catalog_sale_change", args=[sale.pk])).status_code == 200

    later = {**form, "amount_off": "2.50", "starts_at_0": "2099-01-01", "starts_at_1": "00:00:00"}
    assert client.post(reverse("admin:catalog_sale_change", args=[sale.pk]), later).status_code == 302
    assert ProductVariant.objects.get(product=shop.mug).sale_price is None  # scheduled: not yet
    assert client.post(reverse("admin:catalog_sale_delete", args=[sale.pk]), {"post": "yes"}).status_code == 302
    assert not Sale.objects.exists()


SALE_PAGE = """query($first: Int) { products(first: $first) { edges { node { name onSale
  priceRange { min { amount } max { amount } compareAtMin { amount } compareAtMax { amount } }
  variants { sku price { amount } compareAtPrice { amount } } } } } }"""


@pytest.mark.parametrize("first", [1, 20, 100])
def test_a_catalog_page_during_a_sale_costs_two_queries_at_any_size(shopper, settings, first):
    from commerce.catalog.demo import seed_catalog
    from commerce.catalog.models import Category

    settings.GRAPHQL_MAX_COST = settings.GRAPHQL_THROTTLE_MAXIMUM = 100_000
    seed_catalog(150)
    sale_service.create_sale(name="Everything", percent_off=Decimal("15"),
                             category_ids=list(Category.objects.filter(parent=None).values_list("pk", flat=True)))
    response = shopper(SALE_PAGE, {"first": first})
    edges = response.ok()["products"]["edges"]
    assert len(edges) == first and all(e["node"]["onSale"] for e in edges)
    assert response.queries == 2  # products, variants: the sale is in their columns


def test_sales_variant_edits_product_moves_and_the_job_at_once_leave_every_price_right(postgres, transactional_db):
    """Writers racing on PostgreSQL: no deadlock, no error, and the stored prices are what a fresh computation
    from the final sales, prices and tree gives (each write reprices under locks that order it with the others)."""
    from commerce.catalog import services, staff
    from tests.catalog.test_staff_races import in_parallel

    clothing = staff.create_category(name="Clothing")
    men = staff.create_category(name="Men", parent_id=clothing.pk)
    home = staff.create_category(name="Home")
    products = [staff.create_product(name=f"P{i}", category_id=(men if i % 2 else home).pk) for i in range(6)]
    variants = [staff.create_variant(p.pk, sku=f"S{i}", price=Decimal(20 + i)) for i, p in enumerate(products)]
    sale = sale_service.create_sale(name="Men", percent_off=Decimal("10"), category_ids=[men.pk])
    for round_ in range(6):
        calls = [lambda v=v, r=round_: staff.update_variant(v.pk, {"price": Decimal(30 + r + v.pk % 7)})
                 for v in variants[:3]]
        calls += [
            lambda r=round_: sale_service.update_sale(sale.pk, {"percent_off": Decimal(10 + r),
                                                                "category_ids": [(men, clothing, home)[r % 3].pk]}),
            lambda r=round_: sale_service.create_sale(name=f"R{r}", amount_off=Decimal("1"), product_ids=[products[r].pk]),
            lambda r=round_: staff.update_product(products[r].pk, {"category_id": (home if r % 2 else men).pk}),
            lambda: sale_service.apply_scheduled_sales(),
        ]
        assert in_parallel(calls) == []

    def stored():
        return (list(ProductVariant.objects.order_by("pk").values_list("pk", "sale_price")),
                list(Product.objects.order_by("pk").values_list("pk", "min_price", "max_price", "compare_at_min_price",
                                                                 "compare_at_max_price")))

    before = stored()
    services.refresh_price_ranges()  # from scratch
    assert stored() == before
    assert ProductVariant.objects.filter(sale_price__isnull=False).exists()


def test_a_price_cut_under_an_amount_sale_floors_at_zero_and_does_not_block_a_rename(staff_gql, shopper, shop):
    sale = create(staff_gql, amountOff="10", productIds=[gid(shop.mug)])["sale"]
    variant = shop.mug.variants.get()
    staff_gql("""mutation($id: ID!) { variantUpdate(id: $id, input: {price: "4.00"}) { errors { code } } }""",
              {"id": gid(variant)}).ok()
    assert prices(shopper, shop.mug)["variants"] == [("0.00", "4.00")]
    renamed = staff_gql(UPDATE, {"id": sale["id"], "input": {"name": "Mug madness"}}).ok()["saleUpdate"]
    assert renamed["errors"] == [] and renamed["sale"]["name"] == "Mug madness"


def test_the_sales_list_costs_the_same_queries_at_any_length(staff_gql):
    counts = {}
    for total in (1, 10):
        while Sale.objects.count() < total:
            sale_service.create_sale(name=f"S{Sale.objects.count()}", amount_off=Decimal("1"))
        answer = staff_gql(SALES)
        assert answer.ok()["sales"]["totalCount"] == total
        counts[total] = answer.queries
    assert counts[1] == counts[10] == 2  # the signed-in staff member, the page with its count
