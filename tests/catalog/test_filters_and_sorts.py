"""The contract's ProductFilter and ProductSort, on any database; ranked search on PostgreSQL."""
import pytest
from strawberry.relay import to_base64

from tests.catalog.test_products import PAGE, names


def listed(gql, filter=None, sort=None):
    return names(gql(PAGE, {"filter": filter, "sort": sort}))


def test_category_includes_its_descendants(gql, shop):
    assert listed(gql, {"category": to_base64("Category", shop.clothing.pk)}) == ["Wool Jacket", "Linen Shirt"]
    assert listed(gql, {"category": to_base64("Category", shop.shirts.pk)}) == ["Linen Shirt"]


def test_price_bounds_match_any_variant_once(gql, shop):
    # The shirt has variants at 30 and 40: both fall in 25..45, and it is still listed once.
    assert listed(gql, {"priceMin": "25", "priceMax": "45"}) == ["Linen Shirt"]
    assert listed(gql, {"priceMin": "35.00"}) == ["Oak Lamp", "Wool Jacket", "Linen Shirt"]
    assert listed(gql, {"priceMax": "12.50"}) == ["Ceramic Mug"]


def test_in_stock(gql, shop):
    assert listed(gql, {"inStock": True}) == ["Ceramic Mug", "Wool Jacket", "Linen Shirt"]
    assert listed(gql, {"inStock": False}) == ["Oak Lamp"]


def test_ids(gql, shop):
    ids = [to_base64("Product", p.pk) for p in (shop.lamp, shop.mug, shop.draft)]
    assert listed(gql, {"ids": ids}) == ["Ceramic Mug", "Oak Lamp"]


def test_filters_combine(gql, shop):
    home = to_base64("Category", shop.home.pk)
    assert listed(gql, {"category": home, "inStock": True}) == ["Ceramic Mug"]


def test_a_malformed_filter_value_is_bad_input(gql, shop):
    assert gql(PAGE, {"filter": {"priceMin": "cheap"}}).codes == ["BAD_USER_INPUT"]
    assert gql('{ products(filter: {priceMin: "cheap"}) { totalCount } }').codes == ["BAD_USER_INPUT"]
    assert gql(PAGE, {"filter": {"category": to_base64("Product", shop.mug.pk)}}).codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ({"field": "NAME"}, ["Ceramic Mug", "Linen Shirt", "Oak Lamp", "Wool Jacket"]),
        ({"field": "NAME", "direction": "DESC"}, ["Wool Jacket", "Oak Lamp", "Linen Shirt", "Ceramic Mug"]),
        ({"field": "PRICE"}, ["Ceramic Mug", "Linen Shirt", "Oak Lamp", "Wool Jacket"]),
        ({"field": "PRICE", "direction": "DESC"}, ["Wool Jacket", "Oak Lamp", "Linen Shirt", "Ceramic Mug"]),
        ({"field": "CREATED_AT"}, ["Linen Shirt", "Wool Jacket", "Oak Lamp", "Ceramic Mug"]),
        # Unrated products come after rated ones in both directions.
        ({"field": "RATING", "direction": "DESC"}, ["Linen Shirt", "Wool Jacket", "Ceramic Mug", "Oak Lamp"]),
        ({"field": "RATING"}, ["Wool Jacket", "Linen Shirt", "Oak Lamp", "Ceramic Mug"]),
        # Without a search, relevance ranks the newest first.
        ({"field": "RELEVANCE"}, ["Ceramic Mug", "Oak Lamp", "Wool Jacket", "Linen Shirt"]),
    ],
)
def test_sorts(gql, shop, sort, expected):
    assert listed(gql, sort=sort) == expected


def test_ties_break_on_the_primary_key_so_pages_are_stable(gql, make_product):
    for i in range(6):
        make_product(f"Same {i}", variants=[("9.99", 1)], age_days=1)
    sort = {"field": "PRICE"}
    first = gql(PAGE, {"first": 3, "sort": sort}).ok()["products"]
    rest = gql(PAGE, {"first": 3, "after": first["pageInfo"]["endCursor"], "sort": sort}).ok()["products"]
    assert [e["node"]["name"] for e in first["edges"] + rest["edges"]] == [f"Same {i}" for i in range(6)]


def test_search_matches_every_word_in_name_or_description(gql, shop):
    assert listed(gql, {"search": "linen"}, {"field": "RELEVANCE"})[0] == "Linen Shirt"
    assert set(listed(gql, {"search": "linen"})) == {"Linen Shirt", "Oak Lamp"}
    assert listed(gql, {"search": "oak lamp"}) == ["Oak Lamp"]
    assert listed(gql, {"search": "submarine"}) == []


def test_full_text_search_ranks_and_stems_on_postgresql(postgres, gql, shop, make_product):
    make_product("Shade", description="A spare shade for lamps.", age_days=0)
    # Stemming: "lamps" finds "Lamp"; the name (weight A) outranks the description (weight B).
    ranked = listed(gql, {"search": "lamps"}, {"field": "RELEVANCE"})
    assert ranked == ["Oak Lamp", "Shade"]
    assert listed(gql, {"search": "lamps"}, {"field": "RELEVANCE", "direction": "DESC"}) == ["Shade", "Oak Lamp"]
    # Web-search syntax: a quoted phrase and an exclusion.
    assert listed(gql, {"search": '"linen shade"'}) == ["Oak Lamp"]
    assert listed(gql, {"search": "linen -oak"}) == ["Linen Shirt"]
