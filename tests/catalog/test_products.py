"""The storefront's product list and product page, as a client sees them."""
from strawberry.relay import to_base64

PAGE = """
query Page($first: Int, $after: String, $filter: ProductFilter, $sort: ProductSort) {
  products(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name slug } }
  }
}"""


def names(response):
    return [edge["node"]["name"] for edge in response.ok()["products"]["edges"]]


def test_a_product_reads_as_the_contract_writes_it(gql, shop):
    data = gql("""{ product(slug: "linen-shirt") {
        id slug name description isAvailable createdAt
        priceRange { min { amount currency } max { amount currency } }
        rating { average count }
        category { id name parent { name } }
        images { url alt }
        variants { sku name price { amount currency } quantityAvailable isAvailable attributes { name value } }
    } }""").ok()
    product = data["product"]
    assert product["id"] == to_base64("Product", shop.shirt.pk)
    assert product["priceRange"] == {"min": {"amount": "30.00", "currency": "USD"},
                                     "max": {"amount": "40.00", "currency": "USD"}}
    assert product["rating"] == {"average": 4.5, "count": 2}
    assert product["isAvailable"] is True
    assert product["category"] == {"id": to_base64("Category", shop.shirts.pk), "name": "Shirts",
                                   "parent": {"name": "Men"}}
    assert product["images"] == [{"url": f"{product['images'][0]['url']}", "alt": "Linen Shirt 0"}]
    assert [(v["price"]["amount"], v["quantityAvailable"], v["isAvailable"]) for v in product["variants"]] == [
        ("30.00", 5, True), ("40.00", 0, False)]
    assert product["variants"][0]["attributes"] == [{"name": "Size", "value": "0"}, {"name": "Color", "value": "Blue"}]
    assert product["createdAt"].endswith("+00:00")


def test_out_of_stock_product_is_not_available(gql, shop):
    assert gql('{ product(slug: "oak-lamp") { isAvailable } }').ok()["product"]["isAvailable"] is False


def test_default_order_is_newest_first_and_drafts_are_hidden(gql, shop):
    response = gql(PAGE)
    assert names(response) == ["Ceramic Mug", "Oak Lamp", "Wool Jacket", "Linen Shirt"]
    assert response.ok()["products"]["totalCount"] == 4


def test_staff_see_drafts(staff_gql, shop):
    assert "Draft Scarf" in names(staff_gql(PAGE))
    assert staff_gql('{ product(slug: "draft-scarf") { name isAvailable } }').ok()["product"] == {
        "name": "Draft Scarf", "isAvailable": False}


def test_a_draft_is_absent_for_customers_by_slug_id_and_node(gql, shop):
    draft_id = to_base64("Product", shop.draft.pk)
    assert gql('{ product(slug: "draft-scarf") { name } }').ok()["product"] is None
    assert gql("query($id: ID!) { product(id: $id) { name } }", {"id": draft_id}).ok()["product"] is None
    assert gql("query($id: ID!) { node(id: $id) { id } }", {"id": draft_id}).ok()["node"] is None
    variant_id = to_base64("ProductVariant", shop.draft.variants.get().pk)
    assert gql("query($id: ID!) { node(id: $id) { id } }", {"id": variant_id}).ok()["node"] is None


def test_pages_follow_cursors_without_overlap(gql, shop):
    first = gql(PAGE, {"first": 3}).ok()["products"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = gql(PAGE, {"first": 3, "after": first["pageInfo"]["endCursor"]}).ok()["products"]
    assert rest["pageInfo"]["hasNextPage"] is False
    seen = [e["node"]["name"] for e in first["edges"] + rest["edges"]]
    assert seen == ["Ceramic Mug", "Oak Lamp", "Wool Jacket", "Linen Shirt"]


def test_a_page_holds_twenty_unless_asked(gql, make_product):
    for i in range(25):
        make_product(f"Thing {i:02d}", age_days=i)
    response = gql(PAGE)
    assert len(names(response)) == 20
    assert response.ok()["products"]["pageInfo"]["hasNextPage"] is True


def test_more_than_a_hundred_is_refused_before_anything_runs(gql, shop):
    response = gql(PAGE, {"first": 101})
    assert response.codes == ["PAGE_SIZE_EXCEEDED"]
    assert response.errors[0]["extensions"]["maximum"] == 100
    assert response.data is None and response.queries == 0
    assert gql("{ categories(first: 1) { edges { node { products(last: 500) { totalCount } } } } }").codes == [
        "PAGE_SIZE_EXCEEDED"]


def test_a_negative_page_or_a_foreign_cursor_is_bad_input(gql, shop):
    assert gql(PAGE, {"first": -1}).codes == ["BAD_USER_INPUT"]
    assert gql(PAGE, {"after": "not-a-cursor"}).codes == ["BAD_USER_INPUT"]
    far = gql(PAGE, {"after": to_base64("arrayconnection", 2**63 - 2)})  # once a masked 500 from the database
    assert far.codes == ["BAD_USER_INPUT"] and far.errors[0]["message"] == "Argument 'after' is not a cursor from this API."
    assert gql(PAGE, {"after": to_base64("arrayconnection", 2**31 - 1)}).ok()["products"]["edges"] == []


def test_product_needs_exactly_one_of_id_and_slug(gql, shop):
    assert gql("{ product { name } }").codes == ["BAD_USER_INPUT"]
    both = gql('query($id: ID!) { product(id: $id, slug: "oak-lamp") { name } }',
               {"id": to_base64("Product", shop.lamp.pk)})
    assert both.codes == ["BAD_USER_INPUT"]


def test_an_id_of_another_type_or_garbage_is_bad_input(gql, shop):
    category_id = to_base64("Category", shop.home.pk)
    assert gql("query($id: ID!) { product(id: $id) { name } }", {"id": category_id}).codes == ["BAD_USER_INPUT"]
    for garbage in ["xyz", to_base64("Product", "abc"), to_base64("Nope", 1)]:
        assert gql("query($id: ID!) { product(id: $id) { name } }", {"id": garbage}).codes == ["BAD_USER_INPUT"]
        assert gql("query($id: ID!) { node(id: $id) { id } }", {"id": garbage}).codes == ["BAD_USER_INPUT"]


def test_reviews_are_a_connection_newest_first(gql, shop):
    from commerce.catalog.models import Review

    newest = Review.objects.filter(product=shop.shirt).order_by("-pk").first()
    data = gql('{ product(slug: "linen-shirt") { reviews(first: 1) { totalCount edges { node { id rating author } } } } }')
    reviews = data.ok()["product"]["reviews"]
    assert reviews["totalCount"] == 2
    assert reviews["edges"][0]["node"] == {"id": to_base64("Review", newest.pk), "rating": newest.rating,
                                           "author": "Ann"}
