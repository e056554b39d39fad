"""The storefront's attribute filters and facets: AND across attributes, OR within one, matched at the product level
(any variant), combined with the other filters; each facet counted under every filter but its own, in a number of
queries that grows with neither the page nor the number of attributes."""
import pytest
from strawberry import relay

from commerce.catalog import attributes
from commerce.catalog.models import Category

FACETS = "facets { attribute { slug } values { value { slug } count } }"
PRODUCTS = """query ($filter: ProductFilter) { products(first: 20, filter: $filter, sort: {field: NAME}) {
  edges { node { name } } %s } }"""


def option(color, size):
    return [{"name": "Color", "value": color}, {"name": "Size", "value": size}]


@pytest.fixture
def store(defined, make_category, make_product):
    """Clothing: a red/S + blue/M rain jacket, a red/L wool coat, a green/S scarf (the jacket and the scarf out of
    stock but for the jacket's red/S), a red hat that is a draft; Home: a lamp without options."""
    clothing, home = make_category("Clothing"), make_category("Home")
    jacket = make_product("Rain Jacket", clothing, variants=[("80.00", 5), ("80.00", 0)],
                          options=[option("Red", "S"), option("Blue", "M")])
    coat = make_product("Wool Coat", clothing, variants=[("150.00", 2)], options=[option("Red", "L")])
    scarf = make_product("Green Scarf", clothing, variants=[("20.00", 0)], options=[option("Green", "S")])
    hat = make_product("Red Hat", clothing, variants=[("15.00", 9)], options=[option("Red", "S")], published=False)
    lamp = make_product("Oak Lamp", home, variants=[("55.00", 1)], options=[[]])
    for product, material, weight, waterproof in ((jacket, ["cotton"], 250, True), (coat, ["wool"], 500, False),
                                                  (scarf, ["cotton", "wool"], 250, None), (hat, [], 100, None),
                                                  (lamp, [], 1500, None)):
        attributes.set_product_attributes(product.pk, [
            attributes.Assign(defined.material.pk, values=material), attributes.Assign(defined.weight.pk, number=weight),
            attributes.Assign(defined.waterproof.pk, boolean=waterproof)])
    return defined


def names(gql, **filter):
    response = gql(PRODUCTS % "", {"filter": filter})
    return [e["node"]["name"] for e in response.ok()["products"]["edges"]]


def facets(gql, **filter):
    response = gql(PRODUCTS % FACETS, {"filter": filter})
    found = response.ok()["products"]["facets"]
    return {f["attribute"]["slug"]: {v["value"]["slug"]: v["count"] for v in f["values"]} for f in found}


def test_values_of_one_attribute_are_or_and_attributes_are_and_matched_by_any_variant(gql, store):
    assert names(gql, attributes=[{"slug": "color", "values": ["red"]}]) == ["Rain Jacket", "Wool Coat"]
    assert names(gql, attributes=[{"slug": "color", "values": ["red", "green"]}]) == [
        "Green Scarf", "Rain Jacket", "Wool Coat"]
    # the jacket is blue in one variant and S in another: a product matches as Shopify's filters do
    assert names(gql, attributes=[{"slug": "color", "values": ["blue"]}, {"slug": "size", "values": ["s"]}]) == [
        "Rain Jacket"]
    assert names(gql, attributes=[{"slug": "color", "values": ["green"]}, {"slug": "size", "values": ["l"]}]) == []
    assert names(gql, attributes=[{"slug": "material", "values": ["wool"]}]) == ["Green Scarf", "Wool Coat"]


def test_numbers_filter_by_range_or_value_and_booleans_by_yes_or_no(gql, store):
    assert names(gql, attributes=[{"slug": "weight", "range": {"gte": 300}}]) == ["Oak Lamp", "Wool Coat"]
    assert names(gql, attributes=[{"slug": "weight", "range": {"gte": 200, "lte": 500}}]) == [
        "Green Scarf", "Rain Jacket", "Wool Coat"]
    assert names(gql, attributes=[{"slug": "weight", "values": ["250"]}]) == ["Green Scarf", "Rain Jacket"]
    assert names(gql, attributes=[{"slug": "waterproof", "boolean": True}]) == ["Rain Jacket"]
    assert names(gql, attributes=[{"slug": "waterproof", "values": ["false"]}]) == ["Wool Coat"]


def test_attribute_filters_combine_with_search_category_price_and_stock(gql, store):
    clothing = Category.objects.get(slug="clothing")
    red = [{"slug": "color", "values": ["red", "green"]}]
    assert names(gql, attributes=red, inStock=True) == ["Rain Jacket", "Wool Coat"]
    assert names(gql, attributes=red, inStock=False) == ["Green Scarf"]
    assert names(gql, attributes=red, search="coat") == ["Wool Coat"]
    assert names(gql, attributes=red, priceMax="100.00", category=relay.to_base64("Category", clothing.pk)) == [
        "Green Scarf", "Rain Jacket"]


def test_unknown_slugs_and_text_attributes_are_bad_user_input_naming_them(gql, store):
    for bad, named in (({"slug": "colour", "values": ["red"]}, "'colour'"),
                       ({"slug": "color", "values": ["red", "mauve"]}, "'mauve'"),
                       ({"slug": "care", "values": ["wipe-clean"]}, "'care'"),
                       ({"slug": "weight", "values": ["heavy"]}, "'heavy'"),
                       ({"slug": "waterproof", "values": ["yes"]}, "'yes'")):
        response = gql(PRODUCTS % FACETS, {"filter": {"attributes": [bad]}})
        assert response.codes == ["BAD_USER_INPUT"] and named in response.errors[0]["message"], response.json
        assert response.data is None
    many = gql(PRODUCTS % FACETS, {"filter": {"attributes": [{"slug": "color", "values": ["red"]}] * 11}})
    assert many.codes == ["BAD_USER_INPUT"] and "At most 10 attribute filters" in many.errors[0]["message"]


def test_each_facet_counts_under_every_filter_but_its_own(gql, store):
    unfiltered = facets(gql)
    assert unfiltered["color"] == {"red": 2, "blue": 1, "green": 1}  # the draft red hat is not counted
    assert unfiltered["weight"] == {"250": 2, "500": 1, "1500": 1}
    assert unfiltered["waterproof"] == {"true": 1, "false": 1}
    assert list(unfiltered) == ["color", "material", "size", "waterproof", "weight"]  # filterable ones, by name

    red = facets(gql, attributes=[{"slug": "color", "values": ["red"]}])
    assert red["color"] == {"red": 2, "blue": 1, "green": 1}  # choosing Red still shows how many are Blue
    assert red["size"] == {"s": 1, "m": 1, "l": 1}
    assert red["material"] == {"cotton": 1, "wool": 1}
    assert red["weight"] == {"250": 1, "500": 1}

    red_large = facets(gql, attributes=[{"slug": "color", "values": ["red"]}, {"slug": "size", "values": ["l"]}])
    assert red_large["color"] == {"red": 1, "blue": 0, "green": 0}
    assert red_large["size"] == {"s": 1, "m": 1, "l": 1}
    assert red_large["material"] == {"cotton": 0, "wool": 1}

    in_stock_search = facets(gql, search="jacket", inStock=True, attributes=[{"slug": "weight", "range": {"lte": 300}}])
    assert in_stock_search["weight"] == {"250": 1}
    assert in_stock_search["color"] == {"red": 1, "blue": 1, "green": 0}


def test_staff_facets_count_drafts_and_a_category_page_counts_within_its_category(gql, staff_gql, store):
    assert facets(staff_gql)["color"] == {"red": 3, "blue": 1, "green": 1}
    page = gql("""{ category(slug: "home") { products(first: 5) { edges { node { name } } %s } } }""" % FACETS)
    found = {f["attribute"]["slug"]: {v["value"]["slug"]: v["count"] for v in f["values"]}
             for f in page.ok()["category"]["products"]["facets"]}
    assert found["weight"] == {"1500": 1} and found["color"] == {"red": 0, "blue": 0, "green": 0}
