"""From a cart to an UNPAID order: snapshots, stock, vouchers, every refusal, and Idempotency-Key."""
from decimal import Decimal

from commerce.carts.models import Cart, Voucher
from commerce.catalog.models import ProductVariant
from commerce.orders.models import Order
from tests.carts.conftest import errors
from tests.orders.conftest import CHECKOUT, ORDER_BY_ID, ORDER_BY_TOKEN, place


def stock(variant) -> int:
    return ProductVariant.objects.get(pk=variant.pk).stock


def test_a_guest_places_an_order_with_snapshots_of_lines_and_totals(gql, store, ready_cart):
    cart = ready_cart((store.shirt, 2), (store.mug, 1))
    payload = place(gql, cart)
    assert payload["errors"] == [] and payload["payment"] == {"status": "REQUIRES_PAYMENT_METHOD"}
    order = payload["order"]
    assert (order["status"], order["paymentStatus"], order["email"]) == ("UNPAID", "NOT_PAID", "buyer@example.com")
    assert [(l["sku"], l["quantity"], l["unitPrice"]["amount"], l["total"]["amount"]) for l in order["lines"]] == [
        (store.shirt.sku, 2, "30.00", "60.00"), (store.mug.sku, 1, "12.50", "12.50")]  # in the cart's order
    # Germany: 19% on 72.50 + 5.00 shipping
    assert [order[k]["amount"] for k in ("subtotal", "discount", "shipping", "tax", "total")] == [
        "72.50", "0.00", "5.00", "14.73", "92.23"]
    assert order["shippingAddress"] == {"city": "Berlin", "countryCode": "DE"} and order["billingAddress"]["city"] == "Berlin"
    assert [(e["type"], e["status"], e["previousStatus"]) for e in order["events"]] == [("PLACED", "UNPAID", None)]
    assert (stock(store.shirt), stock(store.mug)) == (3, 99)
    assert not Cart.objects.filter(pk=cart.pk).exists()

    store.shirt.price = Decimal("99.00")
    store.shirt.save()
    later = gql(ORDER_BY_TOKEN, {"token": order["token"]}).ok()["order"]
    assert later["total"]["amount"] == "92.23"  # the order keeps the prices it was placed at
    assert gql(ORDER_BY_ID, {"id": order["id"]}).ok() == {"order": None}  # by ID only for its owner or staff


def test_a_signed_in_customer_finds_the_order_in_their_account(gql, store, customer, ready_cart):
    order = place(gql.login(customer), ready_cart((store.mug, 1), user=customer))["order"]
    mine = gql("{ me { orders { totalCount edges { node { number status } } } cart { token } } }").ok()["me"]
    assert mine["orders"]["edges"] == [{"node": {"number": order["number"], "status": "UNPAID"}}]
    assert mine["cart"] is None
    assert gql(ORDER_BY_ID, {"id": order["id"]}).ok()["order"]["number"] == order["number"]


def test_a_cart_without_details_is_refused_with_every_missing_one(gql, store, new_cart):
    token = new_cart((store.mug_id, 1))["cart"]["token"]
    payload = gql(CHECKOUT, {"token": token}).ok()["checkoutComplete"]
    assert errors(payload) == [(["email"], "REQUIRED"), (["shippingAddress"], "SHIPPING_REQUIRED"),
                               (["shippingMethod"], "SHIPPING_REQUIRED")]
    assert payload["order"] is None and Order.objects.count() == 0


def test_an_empty_cart_is_refused(gql, store, new_cart):
    token = new_cart()["cart"]["token"]
    assert errors(gql(CHECKOUT, {"token": token}).ok()["checkoutComplete"]) == [(["cartToken"], "CART_EMPTY")]


def test_a_line_whose_stock_ran_out_is_named_and_nothing_is_written(gql, store, ready_cart):
    cart = ready_cart((store.mug, 1), (store.shirt, 3))
    ProductVariant.objects.filter(pk=store.shirt.pk).update(stock=2)
    payload = place(gql, cart)
    assert errors(payload) == [(["lines", "1"], "INSUFFICIENT_STOCK")]
    assert store.shirt.product.name in payload["errors"][0]["message"]
    assert (stock(store.mug), stock(store.shirt), Order.objects.count()) == (100, 2, 0)
    assert Cart.objects.filter(pk=cart.pk).exists()


def test_a_voucher_is_counted_once_per_order_and_refused_when_used_up(gql, store, ready_cart):
    first = place(gql, ready_cart((store.shirt, 1), voucher="FIVER"))
    assert first["order"]["discount"]["amount"] == "5.00"
    assert Voucher.objects.get(code="FIVER").used_count == 1
    second_cart = ready_cart((store.mug, 2))
    second_cart.voucher = store.fiver  # applied before the first order used it up
    second_cart.save()
    assert errors(place(gql, second_cart)) == [(["voucherCode"], "VOUCHER_INVALID")]


def test_someone_elses_cart_cannot_be_checked_out(gql, store, customer, ready_cart):
    cart = ready_cart((store.mug, 1), user=customer)
    assert errors(place(gql, cart)) == [(["cartToken"], "NOT_FOUND")]


def test_a_retry_with_the_same_key_gets_the_same_order(gql, store, ready_cart):
    cart = ready_cart((store.shirt, 1))
    first = place(gql, cart, HTTP_IDEMPOTENCY_KEY="key-1")
    again = place(gql, cart, HTTP_IDEMPOTENCY_KEY="key-1")
    assert again == first and Order.objects.count() == 1 and stock(store.shirt) == 4


def test_a_key_reused_for_another_cart_is_refused(gql, store, ready_cart):
    place(gql, ready_cart((store.shirt, 1)), HTTP_IDEMPOTENCY_KEY="key-2")
    other = place(gql, ready_cart((store.mug, 1)), HTTP_IDEMPOTENCY_KEY="key-2")
    assert errors(other) == [(["Idempotency-Key"], "IDEMPOTENCY_CONFLICT")] and Order.objects.count() == 1


def test_a_refusal_is_an_answer_and_replays_too(gql, store, ready_cart):
    cart = ready_cart((store.shirt, 2))
    ProductVariant.objects.filter(pk=store.shirt.pk).update(stock=1)
    first = place(gql, cart, HTTP_IDEMPOTENCY_KEY="key-3")
    ProductVariant.objects.filter(pk=store.shirt.pk).update(stock=10)
    assert place(gql, cart, HTTP_IDEMPOTENCY_KEY="key-3") == first
    assert errors(first) == [(["lines", "0"], "INSUFFICIENT_STOCK")]
    assert place(gql, cart, HTTP_IDEMPOTENCY_KEY="key-4")["order"]["status"] == "UNPAID"  # a new key tries again


def test_checkout_and_the_cart_cost_the_same_queries_whatever_the_number_of_lines(gql, store, ready_cart, make_product):
    from tests.carts.conftest import CART

    variants = [make_product(f"Item {i}", variants=[("10.00", 50)]).variants.get() for i in range(5)]
    carts = {size: ready_cart(*[(v, 1) for v in variants[:size]]) for size in (1, 5)}
    cart_queries = {size: gql(CART, {"token": cart.token}).queries for size, cart in carts.items()}
    checkout_queries = {size: gql(CHECKOUT, {"token": cart.token}).queries for size, cart in carts.items()}
    assert cart_queries == {1: 5, 5: 5}  # cart, lines with variants, totals, shipping methods, warnings
    # 17 to place the order (one finds the account that has proved a guest's email, whose the order then is; one
    # counts it in the day's DailyCount, for the dashboard's conversion), 4 to open its payment (2 of them the test
    # transaction's savepoint), 1 to show it
    assert checkout_queries == {1: 22, 5: 22}


def test_a_refused_line_is_named_by_its_place_in_the_cart(gql, store, ready_cart):
    cart = ready_cart((store.shirt, 3), (store.mug, 1))  # the shirt is the first line the customer sees
    ProductVariant.objects.filter(pk=store.shirt.pk).update(stock=1)
    assert errors(place(gql, cart)) == [(["lines", "0"], "INSUFFICIENT_STOCK")]


def test_keys_are_each_callers_own_and_a_replay_shows_nobody_else_the_order(gql, store, customer, ready_cart):
    from commerce.accounts.models import User

    mine = ready_cart((store.mug, 1), user=customer)
    gql.login(customer)
    placed = place(gql, mine, HTTP_IDEMPOTENCY_KEY="same-key")
    assert placed["order"]["status"] == "UNPAID"

    gql.headers.clear()  # someone with the cart token and the key, not signed in as its owner
    replay = place(gql, mine, HTTP_IDEMPOTENCY_KEY="same-key")
    assert replay["order"] is None and errors(replay) == [(["cartToken"], "NOT_FOUND")]

    other = User.objects.create_user("other@example.com", "another passphrase")
    theirs = ready_cart((store.mug, 1), user=other)
    assert place(gql.login(other), theirs, HTTP_IDEMPOTENCY_KEY="same-key")["errors"] == []  # not a conflict
