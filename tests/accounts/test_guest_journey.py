"""A guest becomes a customer, over real HTTP: daphne serving the app, a worker sending the emails, PostgreSQL and
Redis, as deployed. What they bought as a guest and the cart they filled follow them into the account; the
orders placed with their email before they signed up join once they confirm it from the emailed link."""
from pathlib import Path

import httpx
import pytest

from tests.mail import files_to, token_in
from tests.payments.e2e import ADDRESS, wait_for
from tests.servers import deployed_env, start_daphne, start_worker, stop

pytestmark = [pytest.mark.e2e]
PASSWORD = "correct horse battery staple"
CONFIRM_URL = "https://shop.example/confirm-email?token={token}"


class Storefront:
    """A storefront's client: POSTs to /graphql/, with the customer's access token once they have one."""

    def __init__(self, base: str):
        self.base, self.token = base, None

    def __call__(self, query: str, **variables) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = httpx.post(f"{self.base}/graphql/", json={"query": query, "variables": variables},
                              headers=headers, timeout=30)
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        (payload,) = body["data"].values()
        return payload

    def fill_cart(self, variant_id: str, email: str | None = None) -> str:
        made = self("""mutation ($v: ID!, $e: String) { cartCreate(input: {lines: [{variantId: $v, quantity: 1}],
          email: $e}) { cart { token } errors { code } } }""", v=variant_id, e=email)
        assert made["errors"] == []
        return made["cart"]["token"]

    def check_out(self, cart_token: str, shipping_method_id: str) -> dict:
        updated = self("""mutation ($t: String!, $a: AddressInput!, $m: ID!) { cartUpdate(cartToken: $t,
          input: {shippingAddress: $a, shippingMethodId: $m}) { errors { code } } }""",
                       t=cart_token, a=ADDRESS, m=shipping_method_id)
        assert updated["errors"] == []
        placed = self("""mutation ($t: String!) { checkoutComplete(cartToken: $t) {
          order { number status } errors { code } } }""", t=cart_token)
        assert placed["errors"] == [] and placed["order"]["status"] == "PAID", placed  # the demo gateway
        return placed["order"]

    def my_orders(self) -> list[str]:
        me = self("{ me { orders { edges { node { number } } } } }")
        return sorted(edge["node"]["number"] for edge in me["orders"]["edges"])

    def review(self, product_id: str) -> dict:
        return self("""mutation ($p: ID!) { reviewCreate(productId: $p, input: {rating: 5, title: "Lovely",
          body: ""}) { review { verifiedPurchase } errors { code } } }""", p=product_id)


@pytest.fixture
def shop(postgres, redis_url, redis_key_prefix, transactional_db, tmp_path):
    """daphne and a worker deployed on this run's database and Redis (a namespace of their own), paying with the
    demo gateway and writing emails to files; yields (storefront, mail directory)."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = deployed_env(
        REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-journey",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir),
        EMAIL_VERIFICATION_URL=CONFIRM_URL, PAYMENTS_DEMO="1", STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="",
    )
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        web, base = start_daphne(env)
        try:
            yield Storefront(base), mail_dir
        finally:
            stop(web)
    finally:
        stop(worker)


def welcome_email(mail_dir: Path, address: str) -> str:
    def welcomes() -> list[str]:
        return [text for text in files_to(mail_dir, address) if "Subject: Welcome" in text]

    assert wait_for(welcomes), "the worker sent no welcome email"
    return welcomes()[0]


def test_a_guest_signs_up_with_their_cart_checks_out_and_keeps_every_order(shop, store):
    from tests.carts.conftest import gid

    client, mail_dir = shop
    shirt, mug = gid("Product", store.shirt.product_id), gid("Product", store.mug.product_id)

    # A first visit: a shirt bought as a guest.
    first = client.check_out(client.fill_cart(store.shirt_id, email="nia@example.com"), store.standard_id)

    # A second visit: a mug in the cart, then signing up with that cart.
    cart_token = client.fill_cart(store.mug_id)
    registered = client("""mutation ($e: String!, $p: String!, $t: String) { accountRegister(input: {email: $e,
      password: $p, firstName: "Nia", cartToken: $t}) { accessToken accessTokenExpiresAt errors { code } } }""",
                        e="nia@example.com", p=PASSWORD, t=cart_token)
    assert registered["errors"] == [] and registered["accessTokenExpiresAt"]
    client.token = registered["accessToken"]
    cart = client("{ me { isEmailVerified cart { token lines { quantity } } } }")
    assert cart == {"isEmailVerified": False, "cart": {"token": cart_token, "lines": [{"quantity": 1}]}}
    assert client.my_orders() == []  # the guest's order waits for the email to be proved

    second = client.check_out(cart_token, store.standard_id)
    assert client.my_orders() == [second["number"]]
    assert client.review(mug) == {"review": {"verifiedPurchase": True}, "errors": []}

    # The link in the welcome email proves the address: the guest's order joins.
    token = token_in(welcome_email(mail_dir, "nia@example.com"), CONFIRM_URL)
    confirmed = client("""mutation ($t: String!) { accountConfirmEmail(token: $t) {
      accessToken user { isEmailVerified } errors { code } } }""", t=token)
    assert confirmed["errors"] == [] and confirmed["user"] == {"isEmailVerified": True}
    client.token = confirmed["accessToken"]
    assert client.my_orders() == sorted([first["number"], second["number"]])
    assert client.review(shirt) == {"review": {"verifiedPurchase": True}, "errors": []}
