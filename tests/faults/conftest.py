"""The fault suite's stack: its own PostgreSQL and Redis (tests/faults/instances.py), migrated and seeded once,
the fake Stripe, and helpers that shop over HTTP as a storefront does. Tests start daphne and workers against
them and kill or restart what they are about; every check reads the database over SQL, as an auditor would."""
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest

from tests.fake_stripe import FakeStripe, signed
from tests.faults.instances import PrivatePostgres, PrivateRedis
from tests.payments.e2e import graphql
from tests.servers import ROOT, deployed_env

ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "line1": "1 Way", "city": "Berlin", "postalCode": "10115",
           "countryCode": "DE"}
CHECKOUT = """mutation ($t: String!) { checkoutComplete(cartToken: $t) {
  order { id number token status } payment { status } errors { code } } }"""


@pytest.fixture(scope="session")
def private():
    """(PostgreSQL, Redis) of the suite's own; in CI their binaries are required, elsewhere their absence skips.
    Their directory is outside pytest's (which only root may enter): PostgreSQL runs as its own user."""
    root = Path(tempfile.mkdtemp(prefix="commerce-faults-"))
    root.chmod(0o755)
    try:
        postgres = PrivatePostgres(root)
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the fault suite needs PostgreSQL's binaries: {exc}")
        pytest.skip(f"needs PostgreSQL's binaries: {exc}")
    redis_instance = PrivateRedis(root)
    yield postgres, redis_instance
    redis_instance.stop()
    postgres.stop("immediate")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def fake_stripe():
    fake = FakeStripe()
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def stack_env(private, fake_stripe):
    """The environment of every process the suite starts, on a migrated database with the demo shop in it."""
    postgres, redis_instance = private
    env = deployed_env(DATABASE_URL=postgres.url, REDIS_URL=redis_instance.url, REDIS_KEY_PREFIX="faults",
                       STRIPE_API_BASE=fake_stripe.base, STRIPE_TIMEOUT_SECONDS="2",
                       IDEMPOTENCY_ABANDONED_AFTER_SECONDS="5",
                       GRAPHQL_THROTTLE_MAXIMUM="0", AUTH_THROTTLE_MAXIMUM="0")
    for command in (["migrate", "--noinput"], ["seed_catalog", "--products", "3"], ["seed_checkout"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True,
                       timeout=300)
    postgres.sql("UPDATE catalog_productvariant SET stock = 10000")
    return env


@pytest.fixture
def stripe_fake(fake_stripe):
    fake_stripe.reset()
    yield fake_stripe
    fake_stripe.reset()


def cart_ready_to_check_out(base: str) -> str:
    """A guest's cart with one unit of the first variant in stock, an address and a method; its token."""
    variant = graphql(base, "{ products(first: 1, filter: {inStock: true}) { edges { node { variants { id } } } } }")
    method = graphql(base, "{ shippingMethods { id } }")[0]["id"]
    cart = graphql(base, """mutation ($v: ID!) { cartCreate(input: {email: "fault@example.com",
      lines: [{variantId: $v, quantity: 1}]}) { cart { token } errors { code } } }""",
                   v=variant["edges"][0]["node"]["variants"][0]["id"])["cart"]["token"]
    graphql(base, """mutation ($t: String!, $a: AddressInput!, $m: ID!) { cartUpdate(cartToken: $t,
      input: {shippingAddress: $a, shippingMethodId: $m}) { errors { code } } }""", t=cart, a=ADDRESS, m=method)
    return cart


def check_out(base: str, cart: str, *, key: str | None = None, timeout: float = 30) -> dict:
    return graphql(base, CHECKOUT, headers={"Idempotency-Key": key or str(uuid.uuid4())}, timeout=timeout, t=cart)


def pay_at_stripe(base: str, fake: FakeStripe, intent_id: str) -> None:
    """The customer pays; Stripe sends its signed `payment_intent.succeeded`."""
    body, signature = signed(fake.succeed(intent_id))
    answer = httpx.post(f"{base}/webhooks/stripe/", content=body, headers={"Stripe-Signature": signature}, timeout=30)
    assert answer.status_code == 200, answer.text
