"""Keyset cursors: a page after a cursor is "the products after this sort key and id", so paging is stable while
the catalog changes and costs the same however deep; offset cursors from before still page; `totalCount` is exact.
"""
import json

import pytest
from strawberry.relay import to_base64

from commerce.catalog import services
from commerce.catalog.models import Product

PAGE = """query Page($first: Int, $after: String, $last: Int, $before: String, $sort: ProductSort,
  $filter: ProductFilter) {
  products(first: $first, after: $after, last: $last, before: $before, sort: $sort, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } } } }"""

SORTS = [{"field": field, "direction": direction}
         for field in ("NAME", "PRICE", "CREATED_AT", "RATING", "RELEVANCE") for direction in ("ASC", "DESC")]


@pytest.fixture
def ties(make_category, make_product):
    """Nine products whose every sort has ties (same name, price, age, rating) and unrated ones, so the id decides."""
    home = make_category("Home")
    made = []
    for n, (name, price, ratings, age) in enumerate([
        ("Mug", "10.00", [5], 3), ("Mug", "10.00", [], 3), ("Lamp", "55.50", [3], 2), ("Bowl", "10.00", [5], 3),
        ("Vase", "20.00", [], 1), ("Lamp", "20.00", [4, 2], 2), ("Cup", "5.00", [3], 5), ("Jug", "20.00", [], 1),
        ("Tray", "55.50", [1], 4),
    ]):
        made.append(make_product(f"{name} {n}", home, variants=[(price, 1)], ratings=ratings, age_days=age))
    # same names and same creation moments too, which make_product's slugs and clock would tell apart
    Product.objects.filter(name__startswith="Mug").update(name="Mug")
    Product.objects.filter(name__startswith="Lamp").update(name="Lamp")
    moment = Product.objects.get(slug="mug-0").created_at
    Product.objects.filter(slug__in=["mug-1", "bowl-3"]).update(created_at=moment)
    return made


def page(gql, sort=None, **arguments):
    response = gql(PAGE, {"sort": sort, **arguments})
    return response.ok()["products"]


def names(connection):
    return [e["node"]["name"] for e in connection["edges"]]


def walk_forward(gql, sort, size):
    seen, after = [], None
    while True:
        current = page(gql, sort, first=size, after=after)
        seen += names(current)
        assert current["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not current["pageInfo"]["hasNextPage"]:
            return seen
        after = current["pageInfo"]["endCursor"]


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: f"{s['field']}-{s['direction']}")
def test_every_sort_pages_forward_and_backward_through_ties(gql, ties, sort):
    whole = page(gql, sort, first=100)
    assert len(names(whole)) == 9 and whole["totalCount"] == 9
    assert walk_forward(gql, sort, 2) == names(whole)
    assert walk_forward(gql, sort, 4) == names(whole)

    seen, before = [], None
    while True:
        current = page(gql, sort, last=2, before=before)
        seen = names(current) + seen
        assert current["pageInfo"]["hasNextPage"] is (before is not None)
        if not current["pageInfo"]["hasPreviousPage"]:
            break
        before = current["pageInfo"]["startCursor"]
    assert seen == names(whole)


def test_cursors_are_opaque_keysets_carrying_the_sort_key_and_the_id(gql, ties):
    from strawberry.relay import from_base64

    cursor = page(gql, {"field": "PRICE", "direction": "DESC"}, first=1)["edges"][0]["cursor"]
    prefix, payload = from_base64(cursor)
    tray = Product.objects.get(slug="tray-8")
    assert prefix == "keyset" and json.loads(payload) in (["PRICE:DESC", "55.50", tray.pk],
                                                          ["PRICE:DESC", "55.50", ties[2].pk])


def test_a_product_added_while_a_client_pages_is_neither_skipped_nor_repeated(gql, ties, make_product, make_category):
    """With offsets, a new product before the cursor shifts every later page by one: the next page repeats the
    last product seen. A keyset page starts after the last product seen, wherever the new one lands."""
    by_name = {"field": "NAME"}
    first = page(gql, by_name, first=4)
    assert names(first) == ["Bowl 3", "Cup 6", "Jug 7", "Lamp"]
    make_product("Apron", ties[0].category, age_days=0)  # before the cursor: the client has paged past it
    make_product("Pot", ties[0].category, age_days=0)  # after it: the client is yet to see it
    rest = page(gql, by_name, first=100, after=first["pageInfo"]["endCursor"])
    assert names(rest) == ["Lamp", "Mug", "Mug", "Pot", "Tray 8", "Vase 4"]
    assert rest["totalCount"] == 11

    newest_first = page(gql, None, first=3)  # the default order: CREATED_AT, newest first
    make_product("Brand New", ties[0].category, age_days=0)  # lands on page one, which the client has read
    after = page(gql, None, first=100, after=newest_first["pageInfo"]["endCursor"])
    assert not set(e["node"]["name"] for e in after["edges"]) & {"Brand New", *names(newest_first)}
    assert len(names(newest_first)) + len(names(after)) == 11


def test_the_page_after_a_cursor_whose_product_is_gone_continues_where_it_was(gql, ties):
    first = page(gql, {"field": "NAME"}, first=3)
    Product.objects.get(slug="jug-7").delete()  # the cursor's own product
    rest = page(gql, {"field": "NAME"}, first=100, after=first["pageInfo"]["endCursor"])
    assert names(rest) == ["Lamp", "Lamp", "Mug", "Mug", "Tray 8", "Vase 4"]


def test_offset_cursors_from_before_still_page(gql, ties):
    whole = names(page(gql, {"field": "PRICE"}, first=100))
    old = page(gql, {"field": "PRICE"}, first=3, after=to_base64("arrayconnection", 2))
    assert names(old) == whole[3:6]
    assert old["edges"][0]["cursor"] == to_base64("arrayconnection", 3)  # an offset page goes on in offsets
    assert old["totalCount"] == 9 and old["pageInfo"]["hasNextPage"] is True
    following = page(gql, {"field": "PRICE"}, first=10, after=old["pageInfo"]["endCursor"])
    assert names(following) == whole[6:]


def test_a_search_ranked_by_relevance_pages_by_offset(postgres, gql, ties):
    ranked = {"field": "RELEVANCE"}
    searched = {"search": "mug lamp", "ids": None}
    first = page(gql, ranked, first=1, filter={"search": "lamp"})
    assert first["edges"][0]["cursor"] == to_base64("arrayconnection", 0)
    keyset = page(gql, ranked, first=1)["pageInfo"]["endCursor"]
    response = gql(PAGE, {"sort": ranked, "filter": {"search": searched["search"]}, "first": 1, "after": keyset})
    assert response.codes == ["BAD_USER_INPUT"]


def keyset(*parts) -> str:
    return to_base64("keyset", json.dumps(list(parts)))


@pytest.mark.parametrize("cursor", [
    "not base64 at all!", to_base64("arrayconnection", "x"), to_base64("keyset", "{not json"),
    keyset("NAME:ASC", "Mug"), keyset("NAME:ASC", "Mug", "1"), keyset("NAME:ASC", "Mug", 0),
    keyset("NAME:ASC", 12, 1), to_base64("other", 1),
])
def test_malformed_cursors_are_bad_user_input_before_anything_runs(gql, ties, cursor):
    response = gql(PAGE, {"first": 2, "after": cursor})
    assert response.codes == ["BAD_USER_INPUT"] and response.queries == 0
    assert gql(PAGE, {"last": 2, "before": cursor}).codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(("sort", "cursor"), [
    ({"field": "PRICE"}, keyset("NAME:ASC", "Mug", 1)),  # another sort's
    ({"field": "PRICE", "direction": "DESC"}, keyset("PRICE:ASC", "10.00", 1)),  # another direction's
    ({"field": "PRICE"}, keyset("PRICE:ASC", "cheap", 1)),
    ({"field": "PRICE"}, keyset("PRICE:ASC", "NaN", 1)),
    ({"field": "CREATED_AT"}, keyset("CREATED_AT:ASC", "yesterday", 1)),
    ({"field": "CREATED_AT"}, keyset("CREATED_AT:ASC", "2026-01-01T10:00:00", 1)),  # no offset: ambiguous
    ({"field": "RATING"}, keyset("RATING:ASC", None, 1)),
])
def test_a_cursor_of_another_order_or_with_a_mangled_key_is_bad_user_input(gql, ties, sort, cursor):
    response = gql(PAGE, {"first": 2, "after": cursor, "sort": sort})
    assert response.codes == ["BAD_USER_INPUT"]


def test_keyset_cursors_are_refused_by_connections_that_page_by_offset(gql, ties):
    cursor = page(gql, None, first=1)["pageInfo"]["endCursor"]
    response = gql("query($after: String) { categories(first: 2, after: $after) { edges { node { name } } } }",
                   {"after": cursor})
    assert response.codes == ["BAD_USER_INPUT"]


def test_total_count_is_exact_for_every_shape(gql, ties, make_product):
    home = to_base64("Category", ties[0].category_id)
    make_product("Draft", ties[0].category, published=False)
    assert page(gql, first=1)["totalCount"] == 9
    assert page(gql, first=1, filter={"category": home})["totalCount"] == 9
    assert page(gql, first=1, filter={"priceMax": "10.00"})["totalCount"] == 4
    assert page(gql, first=1, filter={"priceMax": "1.00"}) == {
        "totalCount": 0, "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None}}
    last = page(gql, {"field": "NAME"}, first=2, after=walk_cursor(gql, 8))
    assert last["totalCount"] == 9 and names(last) == ["Vase 4"]


def test_staff_count_their_drafts_too(staff_gql, ties, make_product):
    make_product("Draft", ties[0].category, published=False)
    assert page(staff_gql, first=1)["totalCount"] == 10
    assert page(staff_gql, first=1, filter={"category": to_base64("Category", ties[0].category_id)})[
        "totalCount"] == 10


def walk_cursor(gql, index: int) -> str:
    return page(gql, {"field": "NAME"}, first=100)["edges"][index - 1]["cursor"]


def maintained(category=None) -> int:
    from commerce.catalog.models import ListedCount

    key = ListedCount.WHOLE_CATALOG if category is None else category.pk
    return ListedCount.objects.filter(pk=key).values_list("products", flat=True).first() or 0


def test_maintained_counts_follow_every_kind_of_write(postgres, gql, make_category, make_product):
    """Triggers keep the counts, so writers that announce nothing (a bulk update, the admin) are counted too."""
    from commerce.catalog.staff import delete_product

    clothing = make_category("Clothing")
    shirts = make_category("Shirts", clothing)
    home = make_category("Home")
    shirt = make_product("Shirt", shirts)
    make_product("Tee", shirts)
    lamp = make_product("Lamp", home)
    make_product("Draft", shirts, published=False)
    assert (maintained(), maintained(clothing), maintained(shirts), maintained(home)) == (3, 2, 2, 1)

    Product.objects.filter(pk=shirt.pk).update(is_published=False)  # a bulk write
    assert (maintained(), maintained(clothing), maintained(shirts)) == (2, 1, 1)
    Product.objects.filter(name="Draft").update(is_published=True)
    assert (maintained(), maintained(clothing), maintained(shirts)) == (3, 2, 2)

    lamp.category = shirts  # a move, as the staff mutation makes it
    lamp.save()
    services.refresh_listings([lamp.pk])
    assert (maintained(clothing), maintained(shirts), maintained(home)) == (3, 3, 0)

    shirts.parent = home
    services.save_category(shirts)
    assert (maintained(clothing), maintained(shirts), maintained(home)) == (0, 3, 3)

    delete_product(lamp.pk)
    assert (maintained(), maintained(shirts), maintained(home)) == (2, 2, 2)
    assert page(gql, first=1, filter={"category": to_base64("Category", home.pk)})["totalCount"] == 2
    assert page(gql, first=1)["totalCount"] == 2


def test_the_seeders_bulk_inserts_are_counted(postgres, db):
    from commerce.catalog.demo import seed_catalog

    seed_catalog(60)
    assert maintained() == Product.objects.filter(is_published=True).count() == 58


def test_a_deep_page_costs_the_queries_of_the_first(gql, ties):
    from tests.catalog.test_query_counts import CATALOG_PAGE

    first = gql(CATALOG_PAGE, {"first": 2})
    deep = gql(CATALOG_PAGE.replace("products(first: $first)", "products(first: $first, after: $after)")
               .replace("query($first: Int)", "query($first: Int, $after: String)"),
               {"first": 2, "after": page(gql, first=6)["pageInfo"]["endCursor"]})
    assert len(deep.ok()["products"]["edges"]) == 2
    assert deep.queries == first.queries


NESTED = """query($slug: String!, $first: Int, $after: String, $before: String, $sort: ProductSort) {
  category(slug: $slug) { products(first: $first, after: $after, before: $before, sort: $sort) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } } } } }"""


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: f"{s['field']}-{s['direction']}")
def test_a_categorys_nested_page_pages_by_keyset_as_the_top_level_list(gql, ties, sort):
    home = to_base64("Category", ties[0].category_id)
    whole = page(gql, sort, first=100, filter={"category": home})
    seen, after = [], None
    while True:
        nested = gql(NESTED, {"slug": "home", "first": 2, "after": after, "sort": sort}).ok()["category"]["products"]
        top = page(gql, sort, first=2, after=after, filter={"category": home})
        assert nested == top  # the same products, cursors, page info and count
        seen += names(nested)
        if not nested["pageInfo"]["hasNextPage"]:
            break
        after = nested["pageInfo"]["endCursor"]
    assert seen == names(whole) and nested["totalCount"] == 9


def test_a_nested_page_between_two_cursors(gql, ties):
    edges = page(gql, {"field": "NAME"}, first=100)["edges"]
    between = gql(NESTED, {"slug": "home", "first": 10, "after": edges[1]["cursor"], "before": edges[5]["cursor"],
                           "sort": {"field": "NAME"}}).ok()["category"]["products"]
    assert names(between) == [e["node"]["name"] for e in edges[2:5]]


def test_a_nested_keyset_page_costs_the_queries_of_the_first(gql, ties):
    from tests.catalog.test_query_counts import CATEGORY_TREE

    cursor = page(gql, first=3)["pageInfo"]["endCursor"]
    deep = gql(CATEGORY_TREE.replace("products(first: $products)", "products(first: $products, after: $after)")
               .replace("$products: Int)", "$products: Int, $after: String)"), {"first": 5, "products": 2,
                                                                               "after": cursor})
    assert [len(e["node"]["products"]["edges"]) for e in deep.ok()["categories"]["edges"]] == [2]
    assert deep.queries == 3  # categories, children, one windowed prefetch


def test_a_categorys_list_filtered_by_another_category_counts_their_intersection(gql, shop):
    data = gql("""query($shirts: ID!, $home: ID!) { category(slug: "clothing") {
        all: products { totalCount } shirts: products(filter: {category: $shirts}) { totalCount }
        home: products(filter: {category: $home}) { totalCount } } }""",
               {"shirts": to_base64("Category", shop.shirts.pk), "home": to_base64("Category", shop.home.pk)})
    assert data.ok()["category"] == {"all": {"totalCount": 2}, "shirts": {"totalCount": 1}, "home": {"totalCount": 0}}
