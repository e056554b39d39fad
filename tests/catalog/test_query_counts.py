"""The optimizer plans every list: the SQL a catalog query costs does not grow with its page size.

The counts are pinned: a change that adds a query to the storefront's hottest paths must say so here.
"""
import pytest
from strawberry import relay

from commerce.catalog.attributes import create_attribute
from commerce.catalog.demo import seed_catalog

CATALOG_PAGE = """query($first: Int) { products(first: $first) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id slug name isAvailable
    priceRange { min { amount currency } max { amount currency } } rating { average count }
    category { id name slug } images { url alt }
    variants { id sku name price { amount currency } quantityAvailable isAvailable attributes { name value } }
} } } }"""

CATEGORY_TREE = """query($first: Int, $products: Int) { categories(first: $first) { edges { node {
  name children { name } products(first: $products) { totalCount edges { node { name priceRange { min { amount } } } } }
} } } }"""


@pytest.fixture
def demo_catalog(db):
    seed_catalog(150)


@pytest.fixture(autouse=True)
def _no_cost_limit(settings):
    """The largest pages here cost more points than one operation may (tests/test_limits.py checks that);
    what these tests pin is SQL, so the cost limit and the bucket are out of their way."""
    settings.GRAPHQL_MAX_COST = settings.GRAPHQL_THROTTLE_MAXIMUM = 100_000


@pytest.mark.parametrize("first", [1, 20, 100])
def test_catalog_page_costs_five_queries_at_any_size(gql, demo_catalog, first):
    response = gql(CATALOG_PAGE, {"first": first})
    assert len(response.ok()["products"]["edges"]) == first
    # products (with category joined and the total as a window), variants, images, and for the variants'
    # `attributes` pairs (typed options since the JSON was folded) their options with the attribute, their values
    assert response.queries == 5


@pytest.mark.parametrize(("first", "products"), [(1, 1), (10, 5), (20, 20), (50, 100)])
def test_category_tree_with_nested_product_pages_costs_three_queries(gql, demo_catalog, first, products):
    response = gql(CATEGORY_TREE, {"first": first, "products": products})
    edges = response.ok()["categories"]["edges"]
    assert len(edges) == first
    assert all(len(e["node"]["products"]["edges"]) <= products for e in edges)
    assert edges[0]["node"]["products"]["totalCount"] > products or products == 100
    # categories, children, one windowed prefetch of every category's product page
    assert response.queries == 3


def test_product_page_by_slug(gql, demo_catalog):
    response = gql("""{ product(slug: "demo-00001") { name category { name parent { name } } images { url }
        variants { sku price { amount } product { name } } reviews(first: 5) { edges { node { rating } } } } }""")
    assert response.ok()["product"]["name"]
    # product (+ category and its parent), images, variants, variants' product, reviews
    assert response.queries == 5


def test_nodes_cost_one_query_per_type(gql, demo_catalog):
    from strawberry.relay import to_base64

    from commerce.catalog.models import Product

    ids = [to_base64("Product", pk) for pk in Product.objects.filter(is_published=True).values_list("pk", flat=True)[:30]]
    response = gql("query($ids: [ID!]!) { nodes(ids: $ids) { ... on Product { name variants { sku } } } }",
                   {"ids": ids})
    assert len([n for n in response.ok()["nodes"] if n]) == 30
    assert response.queries == 2


IMAGE_PAGE = """query($first: Int) { products(first: $first) { edges { node { name
  images { id alt width height url thumb: url(size: 256) zoom: url(size: 2048, format: JPEG) } } } } }"""


@pytest.fixture
def uploaded_images(demo_catalog):
    """Every product's images as uploads with their renditions made (the demo's are URLs)."""
    from commerce.catalog.models import ProductImage

    renditions = [{"size": size, "format": format, "name": f"r/{size}.{format}", "width": size, "height": size}
                  for size in (64, 256, 1024) for format in ("webp", "jpeg")]
    ProductImage.objects.update(url="", file="products/o.jpg", width=1200, height=1200, renditions=renditions)


@pytest.mark.parametrize("first", [1, 20, 100])
def test_image_renditions_cost_no_query_per_image(gql, uploaded_images, first):
    response = gql(IMAGE_PAGE, {"first": first})
    edges = response.ok()["products"]["edges"]
    assert len(edges) == first
    assert edges[0]["node"]["images"][0]["thumb"] == "http://testserver/media/r/256.webp"
    # products, images (with their renditions, a column of each)
    assert response.queries == 2


FACETED_PAGE = """query($first: Int, $filter: ProductFilter) { products(first: $first, filter: $filter) { totalCount
  pageInfo { hasNextPage endCursor }
  edges { cursor node { id slug name isAvailable
    priceRange { min { amount currency } max { amount currency } } rating { average count }
    category { id name slug } images { url alt }
    variants { id sku name price { amount currency } quantityAvailable isAvailable attributes { name value } }
  } }
  facets { attribute { id slug name type } values { value { slug name } count } } } }"""
TWO_FILTERS_AND_A_SEARCH = {"search": "last", "attributes": [
    {"slug": "color", "values": ["black", "navy", "red", "white", "sand"]},
    {"slug": "size", "values": ["xs", "s", "m", "l"]}]}


@pytest.mark.parametrize("first", [1, 20, 100])
def test_faceted_page_costs_nine_queries_at_any_size(gql, demo_catalog, first):
    response = gql(FACETED_PAGE, {"first": first, "filter": TWO_FILTERS_AND_A_SEARCH})
    products = response.ok()["products"]
    assert len(products["edges"]) == min(first, products["totalCount"]) and products["totalCount"] > 20
    assert {f["attribute"]["slug"] for f in products["facets"]} == {"color", "size", "material", "weight", "waterproof"}
    # the page's five (products, variants, images, options, their values), the filter's slugs, and the facets'
    # three: the filterable definitions, their values, one grouped count for all of them
    assert response.queries == 9


def test_facets_cost_the_same_queries_however_many_attributes_there_are(gql, demo_catalog):
    before = gql(FACETED_PAGE, {"first": 20, "filter": TWO_FILTERS_AND_A_SEARCH})
    for n in range(8):
        create_attribute(name=f"Extra {n}", type="CHOICE", filterable=True, values=["A", "B"])
    after = gql(FACETED_PAGE, {"first": 20, "filter": TWO_FILTERS_AND_A_SEARCH})
    assert len(after.ok()["products"]["facets"]) == len(before.ok()["products"]["facets"]) + 8
    assert after.queries == before.queries == 9


def test_nested_product_pages_are_windowed_as_the_top_level_list_pages(gql, demo_catalog):
    """ProductConnection subclasses strawberry-django's connection (for `facets`), so its nested pages are windowed
    by ProductListField, not by the optimizer: the same products, cursors and page info as the top-level list.
    (`last` on a nested page fails inside strawberry-django's reverse window, as it did before this subclass.)"""
    after = relay.to_base64("arrayconnection", 4)
    nested = gql("""query ($after: String) { category(slug: "apparel") { id products(first: 3, after: $after,
        sort: {field: NAME}) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { cursor node { slug } } }
        } }""", {"after": after}).ok()["category"]
    top = gql("""query ($c: ID!, $after: String) { products(first: 3, after: $after, sort: {field: NAME},
        filter: {category: $c}) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { cursor node { slug } } }
        }""", {"c": nested["id"], "after": after}).ok()
    assert nested["products"] == top["products"] and len(top["products"]["edges"]) == 3
    assert top["products"]["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": True}
