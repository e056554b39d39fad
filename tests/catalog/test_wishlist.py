"""The wishlist: idempotent adds and removes, most recent first, and products that leave the storefront leave it."""
from django.test import override_settings
from strawberry import relay

from commerce.accounts.models import User
from commerce.catalog.wishlist import add_to_wishlist
from commerce.catalog.models import Product
from tests.carts.conftest import errors

ADD = """mutation ($id: ID!) { wishlistAdd(productId: $id) { wishlist { name } errors { field code } } }"""
REMOVE = """mutation ($id: ID!) { wishlistRemove(productId: $id) { wishlist { name } errors { field code } } }"""
ME = """{ me { wishlist { name priceRange { min { amount } } variants { sku } images { url } } } }"""


def gid(product) -> str:
    return relay.to_base64("Product", product.pk)


def names(payload) -> list[str]:
    return [p["name"] for p in payload["wishlist"]]


def test_adding_twice_keeps_one_and_the_newest_comes_first(gql, customer, make_product):
    mug, lamp = make_product("Ceramic Mug"), make_product("Oak Lamp")
    gql.login(customer)
    assert names(gql(ADD, {"id": gid(mug)}).ok()["wishlistAdd"]) == ["Ceramic Mug"]
    assert names(gql(ADD, {"id": gid(lamp)}).ok()["wishlistAdd"]) == ["Oak Lamp", "Ceramic Mug"]
    again = gql(ADD, {"id": gid(mug)}).ok()["wishlistAdd"]
    assert again["errors"] == [] and names(again) == ["Oak Lamp", "Ceramic Mug"]
    assert [p["name"] for p in gql(ME).ok()["me"]["wishlist"]] == ["Oak Lamp", "Ceramic Mug"]


def test_removing_is_idempotent(gql, customer, make_product):
    mug = make_product("Ceramic Mug")
    gql.login(customer)
    gql(ADD, {"id": gid(mug)})
    assert gql(REMOVE, {"id": gid(mug)}).ok()["wishlistRemove"] == {"wishlist": [], "errors": []}
    assert gql(REMOVE, {"id": gid(mug)}).ok()["wishlistRemove"] == {"wishlist": [], "errors": []}


def test_an_unpublished_product_drops_out_and_cannot_be_added(gql, customer, make_product):
    mug, lamp = make_product("Ceramic Mug"), make_product("Oak Lamp")
    draft = make_product("Draft Scarf", published=False)
    gql.login(customer)
    gql(ADD, {"id": gid(mug)}), gql(ADD, {"id": gid(lamp)})
    Product.objects.filter(pk=lamp.pk).update(is_published=False)
    assert [p["name"] for p in gql(ME).ok()["me"]["wishlist"]] == ["Ceramic Mug"]
    refused = gql(ADD, {"id": gid(draft)}).ok()["wishlistAdd"]
    assert errors(refused) == [(["productId"], "NOT_FOUND")] and names(refused) == ["Ceramic Mug"]
    Product.objects.filter(pk=lamp.pk).update(is_published=True)  # back in the storefront: back in the list
    assert [p["name"] for p in gql(ME).ok()["me"]["wishlist"]] == ["Oak Lamp", "Ceramic Mug"]
    Product.objects.filter(pk=lamp.pk).update(is_published=False)
    assert names(gql(REMOVE, {"id": gid(lamp)}).ok()["wishlistRemove"]) == ["Ceramic Mug"]  # still removable
    Product.objects.filter(pk=lamp.pk).update(is_published=True)
    assert [p["name"] for p in gql(ME).ok()["me"]["wishlist"]] == ["Ceramic Mug"]


def test_wishlists_are_each_customers_own(gql, customer, make_product):
    mug, lamp = make_product("Ceramic Mug"), make_product("Oak Lamp")
    other = User.objects.create_user("other@example.com", "a-long-password-1")
    add_to_wishlist(other, mug.pk), add_to_wishlist(other, lamp.pk)
    add_to_wishlist(customer, mug.pk)
    assert [p["name"] for p in gql.login(customer)(ME).ok()["me"]["wishlist"]] == ["Ceramic Mug"]


def test_anonymous_callers_must_sign_in(gql, make_product):
    assert gql(ADD, {"id": gid(make_product("Ceramic Mug"))}).codes == ["UNAUTHENTICATED"]


def test_the_wishlist_costs_the_same_queries_however_long_it_is(gql, customer, make_product):
    gql.login(customer)
    counts = set()
    for n in range(1, 8):
        add_to_wishlist(customer, make_product(f"Product {n}", images=2).pk)
        answer = gql(ME)
        assert len(answer.ok()["me"]["wishlist"]) == n
        counts.add(answer.queries)
    assert counts == {5}  # the token's sign-in, the user, the wishlist's products, their variants, their images


@override_settings(WISHLIST_MAX_ITEMS=3)
def test_a_wishlist_holds_at_most_the_limit(gql, customer, make_product):
    mug, lamp, cap, scarf = (make_product(name) for name in ("Ceramic Mug", "Oak Lamp", "Wool Cap", "Silk Scarf"))
    gql.login(customer)
    for product in (mug, lamp, cap):
        gql(ADD, {"id": gid(product)})
    refused = gql(ADD, {"id": gid(scarf)}).ok()["wishlistAdd"]
    assert errors(refused) == [(["productId"], "QUANTITY_LIMIT")]
    assert "at most 3" in gql(ADD.replace("field code", "message"), {"id": gid(scarf)}).ok()["wishlistAdd"][
        "errors"][0]["message"]
    assert names(refused) == ["Wool Cap", "Oak Lamp", "Ceramic Mug"]
    again = gql(ADD, {"id": gid(mug)}).ok()["wishlistAdd"]  # already there: still fine at the limit
    assert again["errors"] == [] and len(again["wishlist"]) == 3
    Product.objects.filter(pk=lamp.pk).update(is_published=False)  # out of the list: room for one more
    assert names(gql(ADD, {"id": gid(scarf)}).ok()["wishlistAdd"]) == ["Silk Scarf", "Wool Cap", "Ceramic Mug"]
    Product.objects.filter(pk=lamp.pk).update(is_published=True)  # back: four kept, the newest three shown
    assert [p["name"] for p in gql(ME).ok()["me"]["wishlist"]] == ["Silk Scarf", "Wool Cap", "Oak Lamp"]
