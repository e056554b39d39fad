"""A shopper fills a cart: lines, limits, live prices and totals, details, vouchers, and whose cart is whose."""
from decimal import Decimal

import pytest
from django.test import override_settings

from commerce.carts.models import Cart
from tests.carts.conftest import ADD, ADDRESS, APPLY, CART, REMOVE_LINES, UPDATE, UPDATE_LINES, errors


def test_a_guest_fills_a_cart_and_sees_its_totals(gql, store, new_cart):
    payload = new_cart((store.mug_id, 2), email="Guest@Example.com ")
    assert payload["errors"] == []
    cart = payload["cart"]
    assert len(cart["token"]) >= 32 and cart["email"] == "guest@example.com"
    assert cart["totalQuantity"] == 2
    assert [(l["variant"]["sku"], l["quantity"], l["unitPrice"]["amount"], l["total"]["amount"]) for l in cart["lines"]] == [
        (store.mug.sku, 2, "12.50", "25.00")]
    assert cart["subtotal"] == {"amount": "25.00", "currency": "USD"}
    assert cart["total"]["amount"] == "25.00" and cart["warnings"] == []

    added = gql(ADD, {"token": cart["token"], "lines": [{"variantId": store.mug_id, "quantity": 1},
                                                         {"variantId": store.shirt_id, "quantity": 2}]}).ok()
    cart = added["cartLinesAdd"]["cart"]
    assert [(l["variant"]["sku"], l["quantity"]) for l in cart["lines"]] == [(store.mug.sku, 3), (store.shirt.sku, 2)]
    assert cart["subtotal"]["amount"] == "97.50" and cart["totalQuantity"] == 5


@pytest.mark.parametrize("line, error", [
    (("lamp_id", 1), (["lines", "0", "quantity"], "INSUFFICIENT_STOCK")),
    (("shirt_id", 6), (["lines", "0", "quantity"], "INSUFFICIENT_STOCK")),
    (("scarf_id", 1), (["lines", "0", "variantId"], "NOT_PURCHASABLE")),
    (("mug_id", 0), (["lines", "0", "quantity"], "QUANTITY_LIMIT")),
    (("mug_id", 1000), (["lines", "0", "quantity"], "QUANTITY_LIMIT")),
])
def test_a_line_that_cannot_be_bought_is_refused_and_nothing_is_added(gql, store, new_cart, line, error):
    token = new_cart((store.mug_id, 1))["cart"]["token"]
    attribute, quantity = line
    payload = gql(ADD, {"token": token, "lines": [{"variantId": getattr(store, attribute), "quantity": quantity},
                                                   ]}).ok()["cartLinesAdd"]
    assert errors(payload) == [error] and payload["cart"] is None
    assert gql(CART, {"token": token}).ok()["cart"]["totalQuantity"] == 1


def test_every_bad_line_is_reported_at_once(gql, store, new_cart):
    token = new_cart()["cart"]["token"]
    payload = gql(ADD, {"token": token, "lines": [
        {"variantId": store.mug_id, "quantity": 1},
        {"variantId": "UHJvZHVjdFZhcmlhbnQ6OTk5OTk5", "quantity": 1},  # ProductVariant:999999
        {"variantId": store.shirt_id, "quantity": 9},
    ]}).ok()["cartLinesAdd"]
    assert errors(payload) == [(["lines", "1", "variantId"], "NOT_FOUND"), (["lines", "2", "quantity"], "INSUFFICIENT_STOCK")]
    assert gql(CART, {"token": token}).ok()["cart"]["lines"] == []


def test_adding_more_of_a_line_counts_what_is_already_there(gql, store, new_cart):
    token = new_cart((store.shirt_id, 4))["cart"]["token"]
    payload = gql(ADD, {"token": token, "lines": [{"variantId": store.shirt_id, "quantity": 2}]}).ok()["cartLinesAdd"]
    assert errors(payload) == [(["lines", "0", "quantity"], "INSUFFICIENT_STOCK")]


def test_lines_are_updated_and_removed(gql, store, new_cart):
    cart = new_cart((store.mug_id, 1), (store.shirt_id, 1))["cart"]
    mug_line, shirt_line = (l["id"] for l in cart["lines"])
    updated = gql(UPDATE_LINES, {"token": cart["token"], "lines": [{"lineId": mug_line, "quantity": 4},
                                                                   {"lineId": shirt_line, "quantity": 0}]}).ok()
    assert [(l["id"], l["quantity"]) for l in updated["cartLinesUpdate"]["cart"]["lines"]] == [(mug_line, 4)]
    too_many = gql(UPDATE_LINES, {"token": cart["token"], "lines": [{"lineId": mug_line, "quantity": 101}]}).ok()
    assert errors(too_many["cartLinesUpdate"]) == [(["lines", "0", "quantity"], "INSUFFICIENT_STOCK")]
    removed = gql(REMOVE_LINES, {"token": cart["token"], "ids": [mug_line]}).ok()["cartLinesRemove"]
    assert removed["cart"]["lines"] == [] and removed["cart"]["total"]["amount"] == "0.00"
    again = gql(REMOVE_LINES, {"token": cart["token"], "ids": [mug_line]}).ok()["cartLinesRemove"]
    assert errors(again) == [(["lineIds", "0"], "NOT_FOUND")]


def test_a_line_of_another_cart_is_not_found(gql, store, new_cart):
    mine = new_cart((store.mug_id, 1))["cart"]
    theirs = new_cart((store.shirt_id, 1))["cart"]
    payload = gql(UPDATE_LINES, {"token": mine["token"], "lines": [{"lineId": theirs["lines"][0]["id"], "quantity": 2}]}).ok()
    assert errors(payload["cartLinesUpdate"]) == [(["lines", "0", "lineId"], "NOT_FOUND")]


def test_delivery_details_price_shipping_and_tax(gql, store, new_cart):
    token = new_cart((store.shirt_id, 2))["cart"]["token"]
    cart = gql(UPDATE, {"token": token, "input": {"shippingAddress": ADDRESS, "shippingMethodId": store.express_id,
                                                  "email": "ada@example.com"}}).ok()["cartUpdate"]["cart"]
    assert cart["shippingAddress"] == {"city": "London", "countryCode": "GB"} and cart["billingAddress"] is None
    assert [m["name"] for m in cart["availableShippingMethods"]] == ["Standard", "Express"]
    assert (cart["subtotal"]["amount"], cart["shipping"]["amount"], cart["tax"]["amount"], cart["total"]["amount"]) == (
        "60.00", "15.00", "15.00", "90.00")  # GB: 20% of 75.00


def test_a_method_that_does_not_ship_there_is_refused(gql, store, new_cart):
    token = new_cart((store.mug_id, 1))["cart"]["token"]
    payload = gql(UPDATE, {"token": token, "input": {"shippingAddress": {**ADDRESS, "countryCode": "US"},
                                                     "shippingMethodId": store.express_id}}).ok()["cartUpdate"]
    assert errors(payload) == [(["input", "shippingMethodId"], "SHIPPING_REQUIRED")]
    cart = gql(CART, {"token": token}).ok()["cart"]
    assert cart["shippingAddress"] is None  # nothing written
    us = gql(UPDATE, {"token": token, "input": {"shippingAddress": {**ADDRESS, "countryCode": "US"}}}).ok()
    assert [m["name"] for m in us["cartUpdate"]["cart"]["availableShippingMethods"]] == ["Standard"]


def test_a_saved_address_is_copied_and_only_the_owners(gql, store, customer):
    from commerce.accounts.models import Address
    from tests.carts.conftest import CREATE, gid

    saved = Address.objects.create(user=customer, first_name="C", last_name="U", line1="1 Road", city="Paris",
                                   postal_code="75001", country_code="FR")
    gql.login(customer)
    token = gql(CREATE, {"input": {"lines": [{"variantId": store.mug_id, "quantity": 1}]}}).ok()["cartCreate"]["cart"]["token"]
    cart = gql(UPDATE, {"token": token, "input": {"shippingAddressId": gid("Address", saved.pk)}}).ok()["cartUpdate"]["cart"]
    assert cart["shippingAddress"] == {"city": "Paris", "countryCode": "FR"}
    saved.city = "Lyon"
    saved.save()
    assert gql(CART, {"token": token}).ok()["cart"]["shippingAddress"]["city"] == "Paris"

    stranger = Address.objects.create(user=store_owner(), first_name="S", last_name="T", line1="2 Road", city="Rome",
                                      postal_code="00100", country_code="DE")
    payload = gql(UPDATE, {"token": token, "input": {"shippingAddressId": gid("Address", stranger.pk)}}).ok()
    assert errors(payload["cartUpdate"]) == [(["input", "shippingAddressId"], "NOT_FOUND")]


def store_owner():
    from commerce.accounts.models import User

    return User.objects.create_user("someone@example.com", "their own passphrase")


def test_vouchers_apply_by_code_and_come_off_the_subtotal(gql, store, new_cart):
    token = new_cart((store.shirt_id, 1))["cart"]["token"]
    cart = gql(APPLY, {"token": token, "code": " Save10 "}).ok()["cartVoucherApply"]["cart"]
    assert cart["voucherCode"] == "SAVE10" and cart["discount"]["amount"] == "3.00" and cart["total"]["amount"] == "27.00"
    unknown = gql(APPLY, {"token": token, "code": "NOPE"}).ok()["cartVoucherApply"]
    assert errors(unknown) == [(["code"], "VOUCHER_INVALID")]
    removed = gql("mutation ($t: String!) { cartVoucherRemove(cartToken: $t) { cart { voucherCode total { amount } } } }",
                  {"t": token}).ok()["cartVoucherRemove"]["cart"]
    assert removed == {"voucherCode": None, "total": {"amount": "30.00"}}


def test_a_voucher_below_its_minimum_is_refused_and_warns_when_the_cart_shrinks(gql, store, new_cart):
    cart = new_cart((store.mug_id, 1))["cart"]
    assert errors(gql(APPLY, {"token": cart["token"], "code": "SAVE10"}).ok()["cartVoucherApply"]) == [
        (["code"], "VOUCHER_INVALID")]
    gql(ADD, {"token": cart["token"], "lines": [{"variantId": store.mug_id, "quantity": 1}]})
    assert gql(APPLY, {"token": cart["token"], "code": "SAVE10"}).ok()["cartVoucherApply"]["errors"] == []
    mug_line = gql(CART, {"token": cart["token"]}).ok()["cart"]["lines"][0]["id"]
    shrunk = gql(UPDATE_LINES, {"token": cart["token"], "lines": [{"lineId": mug_line, "quantity": 1}]}).ok()
    shrunk = shrunk["cartLinesUpdate"]["cart"]
    assert shrunk["discount"]["amount"] == "0.00"
    assert [w["code"] for w in shrunk["warnings"]] == ["VOUCHER_INVALID"]


def test_the_cart_warns_when_price_stock_or_availability_change(gql, store, new_cart):
    cart = new_cart((store.mug_id, 2), (store.shirt_id, 3))["cart"]
    mug_line, shirt_line = (l["id"] for l in cart["lines"])
    store.mug.price = Decimal("14.00")
    store.mug.save()
    store.shirt.stock = 1
    store.shirt.save()
    warnings = gql(CART, {"token": cart["token"]}).ok()["cart"]["warnings"]
    assert sorted((w["lineId"], w["code"]) for w in warnings) == sorted([(mug_line, "PRICE_CHANGED"),
                                                                         (shirt_line, "INSUFFICIENT_STOCK")])
    store.shirt.product.is_published = False
    store.shirt.product.save()
    warnings = gql(CART, {"token": cart["token"]}).ok()["cart"]["warnings"]
    assert (shirt_line, "NOT_PURCHASABLE") in [(w["lineId"], w["code"]) for w in warnings]
    assert gql(CART, {"token": cart["token"]}).ok()["cart"]["subtotal"]["amount"] == "118.00"  # 2 x 14.00 + 3 x 30.00: live


def test_an_unknown_token_is_no_cart(gql, store):
    assert gql(CART, {"token": "not-a-token"}).ok() == {"cart": None}
    payload = gql(ADD, {"token": "not-a-token", "lines": [{"variantId": store.mug_id, "quantity": 1}]}).ok()
    assert errors(payload["cartLinesAdd"]) == [(["cartToken"], "NOT_FOUND")]


def test_a_signed_in_customers_cart_is_theirs_alone(gql, store, customer, new_cart):
    gql.login(customer)
    cart = new_cart((store.mug_id, 1))["cart"]
    assert gql("{ me { cart { token totalQuantity } } }").ok()["me"]["cart"] == {"token": cart["token"], "totalQuantity": 1}
    assert new_cart((store.mug_id, 1))["cart"]["token"] == cart["token"]  # one cart per customer
    gql.headers.clear()
    assert gql(CART, {"token": cart["token"]}).ok() == {"cart": None}  # the token alone is not enough
    assert errors(gql(ADD, {"token": cart["token"], "lines": [{"variantId": store.mug_id, "quantity": 1}]})
                  .ok()["cartLinesAdd"]) == [(["cartToken"], "NOT_FOUND")]


@override_settings(CART_LINE_MAX_QUANTITY=3)
def test_the_line_limit_is_a_setting(gql, store, new_cart):
    assert errors(new_cart((store.mug_id, 4))) == [(["input", "lines", "0", "quantity"], "QUANTITY_LIMIT")]
    assert Cart.objects.count() == 0  # the cart of a refused cartCreate is not left behind


def test_signing_in_with_a_guest_cart_merges_it_capped_by_stock(gql, store, customer, new_cart):
    from commerce.carts import services

    services.create_cart(customer, lines=[services.LineRequest(store.shirt.pk, 3)])
    guest = new_cart((store.shirt_id, 4), (store.mug_id, 2))["cart"]
    signed_in = gql("""mutation ($e: String!, $p: String!, $c: String) {
      tokenCreate(email: $e, password: $p, cartToken: $c) { accessToken errors { code } } }""",
                    {"e": customer.email, "p": "a-long-password-1", "c": guest["token"]}).ok()["tokenCreate"]
    assert signed_in["errors"] == []
    cart = gql.bearer(signed_in["accessToken"])("{ me { cart { lines { variant { sku } quantity } } } }").ok()
    assert sorted((l["variant"]["sku"], l["quantity"]) for l in cart["me"]["cart"]["lines"]) == sorted(
        [(store.shirt.sku, 5), (store.mug.sku, 2)])  # 3 + 4 shirts capped at the 5 in stock
    assert gql(CART, {"token": guest["token"]}).ok() == {"cart": None}  # the guest cart is gone


def test_a_guest_cart_becomes_the_customers_when_they_have_none(gql, store, customer, new_cart):
    guest = new_cart((store.mug_id, 2))["cart"]
    gql("""mutation ($c: String) { tokenCreate(email: "customer@example.com", password: "a-long-password-1",
      cartToken: $c) { errors { code } } }""", {"c": guest["token"]}).ok()
    cart = gql.login(customer)("{ me { cart { token email totalQuantity } } }").ok()["me"]["cart"]
    assert cart == {"token": guest["token"], "email": "customer@example.com", "totalQuantity": 2}


def test_changing_the_address_keeps_one_copy(gql, store, new_cart):
    from commerce.accounts.models import Address

    token = new_cart((store.mug_id, 1))["cart"]["token"]
    for city in ("London", "Leeds", "York"):
        gql(UPDATE, {"token": token, "input": {"shippingAddress": {**ADDRESS, "city": city}}}).ok()
    assert gql(CART, {"token": token}).ok()["cart"]["shippingAddress"]["city"] == "York"
    assert Address.objects.count() == 1
