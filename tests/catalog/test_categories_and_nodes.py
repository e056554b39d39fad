"""Categories, the shop, and reaching any entity by its global ID."""
from strawberry.relay import to_base64


def test_categories_by_level_and_parent(gql, shop):
    roots = gql("{ categories(level: 0) { totalCount edges { node { name } } } }").ok()["categories"]
    assert [e["node"]["name"] for e in roots["edges"]] == ["Clothing", "Home"] and roots["totalCount"] == 2
    below = gql("query($p: ID) { categories(parent: $p) { edges { node { name parent { name } } } } }",
                {"p": to_base64("Category", shop.clothing.pk)}).ok()["categories"]["edges"]
    assert [e["node"] for e in below] == [{"name": "Men", "parent": {"name": "Clothing"}}]


def test_a_category_page_lists_its_subtree_with_filter_and_sort(gql, shop):
    data = gql("""{ category(slug: "clothing") {
        name children { name }
        products(sort: {field: PRICE, direction: DESC}) { totalCount edges { node { name } } }
        inStock: products(filter: {priceMax: "35"}) { edges { node { name } } }
    } }""").ok()["category"]
    assert data["children"] == [{"name": "Men"}]
    assert [e["node"]["name"] for e in data["products"]["edges"]] == ["Wool Jacket", "Linen Shirt"]
    assert data["products"]["totalCount"] == 2  # the draft scarf is not counted for customers
    assert [e["node"]["name"] for e in data["inStock"]["edges"]] == ["Linen Shirt"]


def test_node_and_nodes_resolve_any_type_in_order(gql, shop):
    ids = [to_base64("Category", shop.home.pk), to_base64("Product", shop.mug.pk),
           to_base64("Product", shop.draft.pk), to_base64("Product", 999999),
           to_base64("ProductVariant", shop.mug.variants.get().pk)]
    data = gql("""query($ids: [ID!]!) { nodes(ids: $ids) {
        id ... on Category { name } ... on Product { name } ... on ProductVariant { sku product { name } } } }""",
               {"ids": ids}).ok()["nodes"]
    assert data[0] == {"id": ids[0], "name": "Home"}
    assert data[1] == {"id": ids[1], "name": "Ceramic Mug"}
    assert data[2] is None and data[3] is None  # a draft and a missing product are both absent
    assert data[4]["product"] == {"name": "Ceramic Mug"}


def test_shop(gql, settings):
    settings.SHOP_NAME = "Corner Shop"
    assert gql("{ shop { name currency countries stripePublishableKey } }").ok()["shop"] == {
        "name": "Corner Shop", "currency": "USD", "countries": settings.SHOP_COUNTRIES,
        "stripePublishableKey": None}


def test_documents_that_do_not_parse_or_fit_have_their_codes(gql):
    assert gql("{ products ").codes == ["GRAPHQL_PARSE_FAILED"]
    assert gql("{ products { nope } }").codes == ["GRAPHQL_VALIDATION_FAILED"]


def test_queries_also_work_over_get(client, shop, settings):
    settings.GRAPHQL_PUBLIC_MAX_AGE = 60  # opted into a CDN's bounded staleness
    response = client.get("/graphql/", {"query": '{ product(slug: "oak-lamp") { name } }'},
                          HTTP_ACCEPT="application/json")
    assert response.json() == {"data": {"product": {"name": "Oak Lamp"}},
                               "extensions": {"cost": {"requestedQueryCost": 2, "actualQueryCost": 2}}}
    assert response["Cache-Control"] == "public, max-age=60"  # anonymous catalog: a CDN may keep it (opted in)
