"""A guest who signs up keeps what they did as a guest: the cart (by its token), the orders placed with their email
once that email is verified (never before), and the reviews of those orders count as verified purchases. An
order placed by a signed-in caller is theirs, whoever made the cart. Every answer with tokens says when the
access token expires."""
import datetime as dt

import jwt
import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from commerce.accounts.models import User
from commerce.carts.models import Cart
from commerce.orders.models import Order
from tests.accounts.conftest import PASSWORD, SIGN_IN
from tests.carts.conftest import gid
from tests.mail import sent_to, token_in

REGISTER = """mutation ($input: AccountRegisterInput!) { accountRegister(input: $input) {
  accessToken refreshToken accessTokenExpiresAt user { email } errors { field code } } }"""
CONFIRM = """mutation ($t: String!) { accountConfirmEmail(token: $t) { accessToken errors { code } } }"""
CHECKOUT = """mutation ($t: String!) { checkoutComplete(cartToken: $t) { order { number status } errors { code } } }"""
MY_ORDERS = "{ me { orders { edges { node { number } } } } }"
MY_CART = "{ me { cart { lines { quantity variant { sku } } } } }"
REVIEW = """mutation ($p: ID!) { reviewCreate(productId: $p, input: {rating: 5, title: "Lovely", body: ""}) {
  review { verifiedPurchase } errors { code } } }"""


@pytest.fixture(autouse=True)
def demo_payments(settings):
    """Checkout pays at once (the demo gateway), so orders are PAID and their reviews verified purchases."""
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET, settings.PAYMENTS_DEMO = "", "", True


def guest_buys(gql, ready_cart, variant, email="nia@example.com") -> str:
    placed = gql(CHECKOUT, {"t": ready_cart((variant, 1), email=email).token}).ok()["checkoutComplete"]
    assert placed["errors"] == [] and placed["order"]["status"] == "PAID"
    return placed["order"]["number"]


def register(gql, jobs, email="nia@example.com", **input) -> dict:
    payload = gql(REGISTER, {"input": {"email": email, "password": PASSWORD, **input}}).ok()["accountRegister"]
    assert payload["errors"] == [], payload
    jobs.run()
    return payload


def my_orders(client) -> list[str]:
    return [edge["node"]["number"] for edge in client(MY_ORDERS).ok()["me"]["orders"]["edges"]]


def test_guest_orders_join_the_account_once_its_email_is_verified_and_not_before(gql, store, ready_cart, jobs,
                                                                                  mailoutbox):
    mine = guest_buys(gql, ready_cart, store.shirt, email="Nia@Example.com ")
    guest_buys(gql, ready_cart, store.mug, email="someone.else@example.com")
    registered = register(gql, jobs)
    client = gql.bearer(registered["accessToken"])
    assert my_orders(client) == []  # registered, but the address is not proved yet
    signed_in_again = gql(SIGN_IN, {"email": "nia@example.com", "password": PASSWORD}).ok()["tokenCreate"]
    assert my_orders(gql.bearer(signed_in_again["accessToken"])) == []  # nor by signing in

    (welcome,) = sent_to(mailoutbox, "nia@example.com", "Welcome")
    confirmed = gql(CONFIRM, {"t": token_in(welcome.body, django_settings.EMAIL_VERIFICATION_URL)}).ok()
    client = gql.bearer(confirmed["accountConfirmEmail"]["accessToken"])
    assert my_orders(client) == [mine]
    assert Order.objects.get(email="someone.else@example.com").user is None
    review = client(REVIEW, {"p": gid("Product", store.shirt.product_id)}).ok()["reviewCreate"]
    assert review == {"review": {"verifiedPurchase": True}, "errors": []}


def test_a_guest_order_placed_with_a_verified_email_joins_that_account_at_once(gql, store, ready_cart, alice):
    User.objects.filter(pk=alice.pk).update(is_email_verified=True)
    number = guest_buys(gql, ready_cart, store.mug, email=alice.email)
    assert my_orders(gql.login(alice)) == [number]


def test_a_guest_order_with_an_unverified_accounts_email_stays_a_guests(gql, store, ready_cart, alice):
    guest_buys(gql, ready_cart, store.mug, email=alice.email)
    assert my_orders(gql.login(alice)) == [] and Order.objects.get().user is None


def test_an_order_placed_by_a_signed_in_caller_is_theirs_whoever_made_the_cart(gql, store, ready_cart, alice):
    guest_cart = ready_cart((store.mug, 2), email=None)  # filled as a guest, the email left for checkout
    client = gql.login(alice)
    placed = client(CHECKOUT, {"t": guest_cart.token}).ok()["checkoutComplete"]
    assert placed["errors"] == [] and my_orders(client) == [placed["order"]["number"]]
    assert Order.objects.get().email == alice.email


def test_registering_with_a_cart_token_makes_the_guest_cart_the_accounts(gql, store, new_cart, jobs):
    cart = new_cart((store.mug_id, 2), (store.shirt_id, 1))["cart"]
    registered = register(gql, jobs, cartToken=cart["token"])
    lines = gql.bearer(registered["accessToken"])(MY_CART).ok()["me"]["cart"]["lines"]
    assert sorted((line["variant"]["sku"], line["quantity"]) for line in lines) == [
        (store.mug.sku, 2), (store.shirt.sku, 1)]


@pytest.mark.parametrize("token", ["no-such-cart", "owned"])
def test_registering_with_a_cart_token_that_is_not_a_guests_takes_nothing(gql, store, jobs, alice, token):
    from commerce.carts import services as carts

    owned = carts.create_cart(alice, lines=[carts.LineRequest(store.mug.pk, 1)])
    registered = register(gql, jobs, cartToken=owned.token if token == "owned" else token)
    assert gql.bearer(registered["accessToken"])(MY_CART).ok()["me"]["cart"] is None
    assert owned.lines.count() == 1 and Cart.objects.get(user=alice).token == owned.token


def test_a_failed_registration_leaves_the_guest_cart_a_guests(gql, store, new_cart, alice):
    cart = new_cart((store.mug_id, 1))["cart"]
    refused = gql(REGISTER, {"input": {"email": alice.email, "password": PASSWORD, "cartToken": cart["token"]}})
    assert refused.ok()["accountRegister"]["errors"][0]["code"] == "ALREADY_EXISTS"
    assert Cart.objects.get(token=cart["token"]).user is None


# --- accessTokenExpiresAt


def expiry_of(access_token: str) -> dt.datetime:
    claims = jwt.decode(access_token, options={"verify_signature": False})
    return dt.datetime.fromtimestamp(claims["exp"], tz=dt.UTC)


def assert_expiry_told(payload: dict) -> None:
    told = dt.datetime.fromisoformat(payload["accessTokenExpiresAt"])
    assert told == expiry_of(payload["accessToken"])
    lifetime = django_settings.ACCESS_TOKEN_LIFETIME
    assert timezone.now() + lifetime - dt.timedelta(seconds=5) < told <= timezone.now() + lifetime


def test_every_mutation_that_signs_in_says_when_the_access_token_expires(gql, jobs, alice):
    registered = register(gql, jobs, email="new@example.com")
    assert_expiry_told(registered)
    signed_in = gql(SIGN_IN.replace("refreshToken", "refreshToken accessTokenExpiresAt"),
                    {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]
    assert_expiry_told(signed_in)
    refreshed = gql("""mutation ($t: String!) { tokenRefresh(refreshToken: $t) {
      accessToken accessTokenExpiresAt errors { code } } }""", {"t": signed_in["refreshToken"]}).ok()["tokenRefresh"]
    assert_expiry_told(refreshed)
    changed = gql.bearer(refreshed["accessToken"])("""mutation ($o: String!, $n: String!) {
      passwordChange(oldPassword: $o, newPassword: $n) { accessToken accessTokenExpiresAt errors { code } } }""",
                                                   {"o": PASSWORD, "n": "another long passphrase"}).ok()
    assert_expiry_told(changed["passwordChange"])


def test_account_update_answers_without_tokens(gql, alice):
    updated = gql.login(alice)("""mutation { accountUpdate(input: {firstName: "Al"}) {
      user { firstName } accessToken refreshToken accessTokenExpiresAt errors { code } } }""").ok()["accountUpdate"]
    assert updated == {"user": {"firstName": "Al"}, "accessToken": None, "refreshToken": None,
                       "accessTokenExpiresAt": None, "errors": []}
