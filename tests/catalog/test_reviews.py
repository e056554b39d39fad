"""Reviews: who may write one, what it checks, verified purchases, and a product's rating that stays exact,
also when many customers review at once on PostgreSQL."""
import threading

import pytest
from django.db import close_old_connections
from strawberry import relay

from commerce.accounts.models import User
from commerce.catalog import reviews
from commerce.catalog.models import Product
from commerce.orders import checkout
from tests.carts.conftest import errors

REVIEW = """mutation ($product: ID!, $input: ReviewInput!) { reviewCreate(productId: $product, input: $input) {
  review { id rating title body author verifiedPurchase createdAt } errors { field code } } }"""
PRODUCT_REVIEWS = """query ($slug: String!, $first: Int) { product(slug: $slug) { rating { average count }
  reviews(first: $first) { totalCount edges { node { title rating author } } } } }"""
GOOD = {"rating": 4, "title": "Sturdy", "body": "Holds a whole pot of tea."}


def gid(product) -> str:
    return relay.to_base64("Product", product.pk)


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada@example.com", "a-long-password-1", first_name="Ada", last_name="Lovelace")


def review(gql, product, **input):
    return gql(REVIEW, {"product": gid(product), "input": {**GOOD, **input}}).ok()["reviewCreate"]


def test_a_customer_reviews_a_product_and_its_rating_includes_it_at_once(gql, make_product, ada):
    mug = make_product("Ceramic Mug", ratings=[5, 2])
    created = review(gql.login(ada), mug)
    assert created["errors"] == []
    assert {k: created["review"][k] for k in ("rating", "title", "body", "author", "verifiedPurchase")} == {
        "rating": 4, "title": "Sturdy", "body": "Holds a whole pot of tea.", "author": "Ada L.",
        "verifiedPurchase": False}
    assert gql(PRODUCT_REVIEWS, {"slug": mug.slug}).ok()["product"]["rating"] == {"average": 3.67, "count": 3}


def test_a_second_review_of_the_same_product_is_already_exists(gql, make_product, ada):
    mug = make_product("Ceramic Mug")
    review(gql.login(ada), mug)
    again = review(gql, mug, rating=1, title="Changed my mind")
    assert errors(again) == [(["productId"], "ALREADY_EXISTS")] and again["review"] is None
    mug.refresh_from_db()
    assert (mug.rating_count, mug.rating_average) == (1, 4)


@pytest.mark.parametrize(("input", "expected"), [
    ({"rating": 0}, [(["input", "rating"], "INVALID")]),
    ({"rating": 6}, [(["input", "rating"], "INVALID")]),
    ({"title": "   "}, [(["input", "title"], "REQUIRED")]),
    ({"title": "t" * 201}, [(["input", "title"], "INVALID")]),
    ({"body": "b" * 5001}, [(["input", "body"], "INVALID")]),
    ({"rating": 9, "title": ""}, [(["input", "rating"], "INVALID"), (["input", "title"], "REQUIRED")]),
])
def test_bad_reviews_are_refused_with_every_problem_and_nothing_written(gql, make_product, ada, input, expected):
    mug = make_product("Ceramic Mug")
    refused = review(gql.login(ada), mug, **input)
    assert errors(refused) == expected
    mug.refresh_from_db()
    assert mug.rating_count == 0 and not mug.reviews.exists()


def test_an_empty_body_is_a_review_with_stars_and_a_title(gql, make_product, ada):
    assert review(gql.login(ada), make_product("Ceramic Mug"), body="")["errors"] == []


def test_only_signed_in_customers_review_and_only_what_they_can_see(gql, make_product, ada):
    draft = make_product("Draft Scarf", published=False)
    anonymous = gql(REVIEW, {"product": gid(make_product("Ceramic Mug")), "input": GOOD})
    assert anonymous.codes == ["UNAUTHENTICATED"]
    assert errors(review(gql.login(ada), draft)) == [(["productId"], "NOT_FOUND")]
    bad_id = gql(REVIEW, {"product": relay.to_base64("Category", 1), "input": GOOD}).ok()["reviewCreate"]
    assert errors(bad_id) == [(["productId"], "INVALID")]


def test_a_review_is_a_verified_purchase_once_the_customer_has_paid_for_the_product(gql, store, ada, ready_cart,
                                                                                    pay):
    mug = store.mug.product
    order = checkout.complete(ready_cart((store.mug, 1), user=ada))
    assert reviews.has_bought(ada, mug.pk) is False  # placed, not paid
    pay(order)
    assert review(gql.login(ada), mug)["review"]["verifiedPurchase"] is True
    shirt_order = checkout.complete(ready_cart((store.shirt, 1), user=ada))  # never paid
    assert review(gql, store.shirt.product)["review"]["verifiedPurchase"] is False
    assert shirt_order.status == "UNPAID"


def test_a_shipped_or_delivered_order_verifies_a_purchase_and_a_cancelled_one_does_not(gql, store, ada, ready_cart,
                                                                                      pay, staff_user, make_product):
    """Cancelled after payment means refunded in full and never sent: the customer did not end up with it."""
    from commerce.orders import services as orders
    from commerce.payments import services as payments

    cap = make_product("Wool Cap", variants=[("15.00", 9)]).variants.get()
    shipped, delivered, cancelled = (pay(checkout.complete(ready_cart((v, 1), user=ada)))
                                     for v in (store.mug, store.shirt, cap))
    orders.fulfill(shipped, actor=staff_user)
    orders.mark_delivered(orders.fulfill(delivered, actor=staff_user), actor=staff_user)
    payments.cancel_order(cancelled, actor=staff_user, as_staff=True)
    gql.login(ada)
    verified = {product.name: review(gql, product)["review"]["verifiedPurchase"]
                for product in (store.mug.product, store.shirt.product, cap.product)}
    assert verified == {"Ceramic Mug": True, "Linen Shirt": True, "Wool Cap": False}


def test_reviews_list_newest_first_and_cost_the_same_queries_at_any_page_size(gql, make_product, ada):
    mug = make_product("Ceramic Mug")
    for n in range(12):
        author = User.objects.create_user(f"r{n}@example.com", "a-long-password-1", first_name=f"R{n}")
        reviews.create_review(author, mug.pk, rating=1 + n % 5, title=f"Review {n}", body="")
    counts = set()
    for first in (1, 5, 12):
        answer = gql(PRODUCT_REVIEWS, {"slug": mug.slug, "first": first})
        page = answer.ok()["product"]["reviews"]
        assert [e["node"]["title"] for e in page["edges"]] == [f"Review {n}" for n in range(11, 11 - first, -1)]
        assert page["totalCount"] == 12
        counts.add(answer.queries)
    assert counts == {2}  # the product, one windowed page of its reviews


def test_reviews_nested_in_a_page_of_products_cost_one_query_however_many_products(gql, make_product, ada):
    query = """query ($first: Int) { products(first: $first) { edges { node { name
      reviews(first: 2) { totalCount edges { node { title } } } } } } }"""
    for n in range(6):
        product = make_product(f"Product {n}")
        for k in range(3):
            author = User.objects.create_user(f"p{n}r{k}@example.com", "a-long-password-1")
            reviews.create_review(author, product.pk, rating=5, title=f"{n}.{k}", body="")
    counts = set()
    for first in (1, 6):
        answer = gql(query, {"first": first})
        edges = answer.ok()["products"]["edges"]
        assert [[r["node"]["title"] for r in e["node"]["reviews"]["edges"]] for e in edges][0] == ["5.2", "5.1"]
        assert {e["node"]["reviews"]["totalCount"] for e in edges} == {3}
        counts.add(answer.queries)
    assert counts == {2}  # the products page, one windowed query for every product's reviews


def test_concurrent_reviews_keep_the_rating_exact(postgres, transactional_db, make_product):
    """Twenty customers review one product at the same moment, each on their own connection."""
    lamp = make_product("Oak Lamp")
    people = [User.objects.create_user(f"p{n}@example.com", "a-long-password-1") for n in range(20)]
    ratings = [1 + n % 5 for n in range(20)]
    start = threading.Barrier(len(people))
    failures = []

    def write(user, rating):
        try:
            start.wait()
            reviews.create_review(user, lamp.pk, rating=rating, title="t", body="")
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=write, args=pair) for pair in zip(people, ratings)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    lamp = Product.objects.get(pk=lamp.pk)
    assert lamp.rating_count == 20 and float(lamp.rating_average) == sum(ratings) / 20


def test_one_customer_racing_themselves_gets_one_review(postgres, transactional_db, make_product, ada):
    lamp = make_product("Oak Lamp")
    start = threading.Barrier(8)
    outcomes = []

    def write():
        try:
            start.wait()
            reviews.create_review(ada, lamp.pk, rating=5, title="t", body="")
            outcomes.append("created")
        except reviews.ReviewError as refused:
            outcomes.append(refused.code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ALREADY_EXISTS"] * 7 + ["created"]
    assert Product.objects.get(pk=lamp.pk).rating_count == 1


def test_a_review_by_id_is_as_hidden_as_its_unpublished_product(gql, make_product, ada, staff_user):
    mug = make_product("Ceramic Mug")
    written = reviews.create_review(ada, mug.pk, rating=5, title="Lovely", body="")
    Product.objects.filter(pk=mug.pk).update(is_published=False)
    by_id = """query ($id: ID!) { node(id: $id) { ... on Review { title } }
      nodes(ids: [$id]) { ... on Review { title } } }"""
    variables = {"id": relay.to_base64("Review", written.pk)}
    assert gql(by_id, variables).ok() == {"node": None, "nodes": [None]}
    assert gql.login(ada)(by_id, variables).ok() == {"node": None, "nodes": [None]}  # its author too
    assert gql.login(staff_user)(by_id, variables).ok() == {"node": {"title": "Lovely"}, "nodes": [{"title": "Lovely"}]}
