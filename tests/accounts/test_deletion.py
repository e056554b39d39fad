"""accountDelete, as an app's "delete my account" screen uses it (the App Store requires one), and the admin's
action that does the same: personal data erased, sign-in impossible, orders kept for the books."""
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from commerce.accounts.models import Address, TokenFamily, User
from commerce.accounts.services import create_address
from commerce.carts.models import Cart
from commerce.catalog.models import Review, WishlistItem
from commerce.catalog.reviews import create_review
from commerce.catalog.wishlist import add_to_wishlist
from commerce.notifications.models import SentEmail
from commerce.orders import checkout
from commerce.orders.models import Order, OrderStatus
from tests.accounts.conftest import ME, PASSWORD, REFRESH, SIGN_IN

DELETE = """mutation ($password: String) {
  accountDelete(password: $password) { user { email } errors { field code message } } }"""
REVIEWS = """query ($id: ID!) { product(id: $id) { reviews(first: 5) { edges { node { author title body } } } } }"""
HOME = {"first_name": "Alice", "last_name": "Liddell", "line1": "1 Rabbit Hole", "city": "Oxford",
        "postal_code": "OX1", "country_code": "DE"}


@pytest.fixture
def shopper(alice, store, ready_cart):
    """Alice with everything a customer accumulates: an address book, a cart, a wishlist, a review, and a
    delivered order (shipped to an address copy that the order holds)."""
    create_address(alice, HOME)
    order = checkout.complete(ready_cart((store.mug, 1), user=alice, email=alice.email))
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED, payment_status="PAID")
    ready_cart((store.shirt, 1), user=alice, email=alice.email)
    add_to_wishlist(alice, store.shirt.product_id)
    create_review(alice, store.mug.product_id, rating=5, title="Holds my tea", body="Every morning.")
    SentEmail.objects.create(key=f"welcome:{alice.pk}", recipient=alice.email, subject="Welcome")
    return alice


def delete(gql, user, password=PASSWORD):
    return gql.login(user)(DELETE, {"password": password}).ok()["accountDelete"]


def test_deleting_erases_personal_data_and_keeps_the_order_for_the_books(gql, shopper, signed_in, store):
    assert delete(gql, shopper) == {"user": None, "errors": []}

    user = User.objects.get(pk=shopper.pk)
    assert (user.email, user.first_name, user.last_name) == (f"deleted-{user.pk}@invalid", "", "")
    assert not user.is_active and not user.has_usable_password() and user.deleted_at is not None
    assert not Address.objects.filter(user=user).exists()
    assert not Cart.objects.filter(user=user).exists() and not WishlistItem.objects.filter(user=user).exists()
    assert SentEmail.objects.get(key=f"welcome:{user.pk}").recipient == user.email  # the log kept, not the address
    review = Review.objects.get(product=store.mug.product)
    assert (review.author_name, review.title, review.body) == ("Deleted customer", "Holds my tea", "Every morning.")

    order = Order.objects.get(user=user)  # kept, with what the books need, and marked
    assert order.account_deleted_at is not None and order.personal_data_erased_at is None
    assert order.email == "alice@example.com" and order.shipping_address.city == "Berlin"  # retention unset: kept
    held = {order.shipping_address_id, order.billing_address_id}
    assert set(Address.objects.values_list("pk", flat=True)) == held  # the cart's copy went with the cart


def test_a_deleted_account_can_never_sign_in_again(gql, shopper, signed_in):
    delete(gql, shopper)
    assert not TokenFamily.objects.filter(user=shopper, revoked_at__isnull=True).exists()
    stale = gql.bearer(signed_in["accessToken"])(ME)
    assert stale.codes == ["UNAUTHENTICATED"]
    refreshed = gql(REFRESH, {"token": signed_in["refreshToken"]}, HTTP_AUTHORIZATION="").ok()["tokenRefresh"]
    assert [e["code"] for e in refreshed["errors"]] == ["TOKEN_INVALID"]
    answer = Client().post("/graphql/", {"query": SIGN_IN, "variables": {"email": "alice@example.com",
                                                                          "password": PASSWORD}},
                           content_type="application/json").json()["data"]["tokenCreate"]
    assert answer["accessToken"] is None and [e["code"] for e in answer["errors"]] == ["INVALID_CREDENTIALS"]


def test_the_email_is_free_to_register_again(gql, shopper):
    delete(gql, shopper)
    gql.headers.clear()
    again = gql("""mutation { accountRegister(input: {email: "alice@example.com", password: "another long passphrase"})
                  { user { email } errors { code } } }""").ok()["accountRegister"]
    assert again == {"user": {"email": "alice@example.com"}, "errors": []}


def test_the_review_shows_as_a_deleted_customers(gql, shopper, store):
    from tests.carts.conftest import gid

    delete(gql, shopper)
    gql.headers.clear()
    reviews = gql(REVIEWS, {"id": gid("Product", store.mug.product_id)}).ok()["product"]["reviews"]["edges"]
    assert [r["node"] for r in reviews] == [{"author": "Deleted customer", "title": "Holds my tea",
                                              "body": "Every morning."}]


@pytest.mark.parametrize("password, code, field", [("not it", "INVALID_CREDENTIALS", ["password"]),
                                                   (None, "REQUIRED", ["password"])])
def test_deleting_needs_the_password_and_changes_nothing_without_it(gql, shopper, password, code, field):
    payload = delete(gql, shopper, password)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    user = User.objects.get(pk=shopper.pk)
    assert user.email == "alice@example.com" and user.is_active and user.deleted_at is None
    assert WishlistItem.objects.filter(user=user).exists()


def test_deleting_needs_a_signed_in_caller(gql):
    assert gql(DELETE, {"password": PASSWORD}).codes == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("status", [OrderStatus.UNPAID, OrderStatus.PAID])
def test_an_order_awaiting_payment_or_shipment_refuses_the_deletion_until_it_settles(gql, shopper, store,
                                                                                      ready_cart, status):
    pending = checkout.complete(ready_cart((store.mug, 2), user=shopper, email=shopper.email))
    Order.objects.filter(pk=pending.pk).update(status=status)
    ready_cart((store.shirt, 1), user=shopper, email=shopper.email)  # shopping on meanwhile
    payload = delete(gql, shopper)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("ORDERS_IN_PROGRESS", None)]
    assert f"Order {pending.number} is still awaiting payment or shipment" in payload["errors"][0]["message"]
    user = User.objects.get(pk=shopper.pk)  # nothing erased, by any app
    assert user.is_active and user.first_name == "Alice" and Address.objects.filter(user=user).exists()
    assert WishlistItem.objects.filter(user=user).exists() and Cart.objects.filter(user=user).exists()
    assert Review.objects.get(user=user).author_name == "Alice L."
    assert not Order.objects.filter(account_deleted_at__isnull=False).exists()

    Order.objects.filter(pk=pending.pk).update(status=OrderStatus.CANCELLED if status == "UNPAID" else "FULFILLED")
    assert delete(gql, shopper)["errors"] == []


def test_an_unpaid_order_the_customer_cancels_no_longer_stands_in_the_way(gql, shopper, store, ready_cart):
    from tests.carts.conftest import gid
    from tests.orders.conftest import CANCEL

    pending = checkout.complete(ready_cart((store.mug, 1), user=shopper, email=shopper.email))
    assert [e["code"] for e in delete(gql, shopper)["errors"]] == ["ORDERS_IN_PROGRESS"]
    assert gql(CANCEL, {"id": gid("Order", pending.pk)}).ok()["orderCancel"]["errors"] == []
    assert delete(gql, shopper)["errors"] == []


def test_with_a_retention_set_orders_past_it_are_anonymized_at_once_and_the_rest_by_the_nightly_job(
        settings, shopper, store, ready_cart, jobs):
    from commerce.accounts.deletion import erase_account
    from tasks.orders import erase_order_personal_data

    settings.ORDER_PERSONAL_DATA_RETENTION_DAYS = 30
    old = Order.objects.get(user=shopper)
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    recent = checkout.complete(ready_cart((store.mug, 1), user=shopper, email=shopper.email))
    Order.objects.filter(pk=recent.pk).update(status=OrderStatus.DELIVERED,
                                              created_at=timezone.now() - dt.timedelta(days=29))
    erase_account(shopper)

    old.refresh_from_db()
    assert old.email == f"erased-{old.pk}@invalid" and old.personal_data_erased_at is not None
    address = old.shipping_address
    assert (address.first_name, address.last_name, address.line1, address.city, address.postal_code) == (
        "Erased", "", "", "", "")
    assert address.country_code == "DE"  # the tax the books account for was the country's
    assert Order.objects.get(pk=recent.pk).email == "alice@example.com"

    Order.objects.filter(pk=recent.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    erase_order_personal_data.send()
    jobs.run()
    recent.refresh_from_db()
    assert recent.email == f"erased-{recent.pk}@invalid" and recent.shipping_address.line1 == ""
    assert old.total == Order.objects.get(pk=old.pk).total and old.lines.count() == 1  # the figures stay


def test_the_admin_deletes_an_account_with_the_same_service_after_confirming(client, shopper, staff_user, store,
                                                                             ready_cart):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    url = "/admin/accounts/user/"
    form = {"action": "erase_selected", "_selected_action": [shopper.pk]}
    confirm = client.post(url, form)
    assert confirm.status_code == 200 and b"alice@example.com" in confirm.content
    assert User.objects.get(pk=shopper.pk).deleted_at is None  # asked, not done

    done = client.post(url, {**form, "post": "yes"}, follow=True)
    assert b"Deleted 1 account" in done.content
    user = User.objects.get(pk=shopper.pk)
    assert user.deleted_at is not None and user.email == f"deleted-{user.pk}@invalid"
    assert Review.objects.get(user=user).author_name == "Deleted customer"


def test_the_admin_is_told_which_account_an_order_in_progress_keeps(client, alice, staff_user, store, ready_cart):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    pending = checkout.complete(ready_cart((store.mug, 1), user=alice, email=alice.email))
    done = client.post("/admin/accounts/user/", {"action": "erase_selected", "_selected_action": [alice.pk],
                                                  "post": "yes"}, follow=True)
    assert f"Order {pending.number} is still awaiting".encode() in done.content
    assert User.objects.get(pk=alice.pk).deleted_at is None
