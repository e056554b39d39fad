"""Checkout under load, over real HTTP against daphne on PostgreSQL: buyers racing for the last units, and a
phone retrying a request whose first attempt is still running.

Each buyer is a client of its own, as fifty shoppers on fifty phones are: the server trusts one proxy hop
and each buyer's requests carry their own X-Forwarded-For (from one address they would share one bucket of
cost points and be throttled, which tests/test_cost_and_throttle.py covers).
"""
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import psycopg2
import pytest
from django.db import connection

from commerce.catalog.models import ProductVariant
from commerce.orders.models import IdempotencyKey, Order, OrderLine
from tests.orders.conftest import CHECKOUT
from tests.servers import deployed_env, start_daphne, stop

pytestmark = [pytest.mark.e2e]
BUYERS = 50
UNITS = 10
RETRY_WAITS = 3  # seconds a retry waits for the first request's answer (IDEMPOTENCY_WAIT_SECONDS)


@pytest.fixture(scope="module")
def shop_server(django_db_setup, _stripe_server):
    process, base = start_daphne(deployed_env(REDIS_URL="", IDEMPOTENCY_WAIT_SECONDS=str(RETRY_WAITS),
                                              STRIPE_API_BASE=_stripe_server.base, TRUSTED_PROXY_HOPS="1"))
    yield base
    stop(process)


def checkout(base: str, token: str, **headers) -> tuple[int, dict]:
    response = httpx.post(f"{base}/graphql/", json={"query": CHECKOUT, "variables": {"token": token}},
                          headers=headers, timeout=60)
    return response.status_code, response.json()


def client(n: int) -> dict:
    """The headers of the n-th shopper's phone, as the trusted proxy forwards them."""
    return {"X-Forwarded-For": f"198.51.100.{n % 250}, 203.0.{n // 250}.{n % 250}"}


def in_parallel(calls):
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


@pytest.mark.parametrize("round_", range(3))
def test_fifty_buyers_racing_for_ten_units_get_exactly_ten_orders(postgres, transactional_db, shop_server, store,
                                                                  ready_cart, round_):
    ProductVariant.objects.filter(pk=store.shirt.pk).update(stock=UNITS)
    carts = [ready_cart((store.shirt, 1), email=f"buyer{i}@example.com") for i in range(BUYERS)]
    answers = in_parallel([lambda n=n, cart=cart: checkout(shop_server, cart.token, **client(n))
                           for n, cart in enumerate(carts)])

    assert {status for status, _ in answers} == {200}
    assert not [body for _, body in answers if "errors" in body]  # no top-level error, no server error
    payloads = [body["data"]["checkoutComplete"] for _, body in answers]
    placed = [p for p in payloads if p["order"]]
    refused = [p for p in payloads if not p["order"]]
    assert len(placed) == UNITS
    assert {e["code"] for p in refused for e in p["errors"]} == {"INSUFFICIENT_STOCK"}
    assert ProductVariant.objects.get(pk=store.shirt.pk).stock == 0
    assert OrderLine.objects.filter(variant=store.shirt).count() == UNITS


@contextmanager
def cart_held(cart):
    """Hold the cart's row lock from another connection: a checkout of it waits, as a slow first request would."""
    db = connection.settings_dict
    holder = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432)
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT id FROM carts_cart WHERE id = %s FOR UPDATE", [cart.pk])
        yield
    finally:
        holder.rollback()
        holder.close()


def claimed(key: str) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if IdempotencyKey.objects.filter(key=key).exists():
            return True
        time.sleep(0.05)
    return False


def test_retries_while_the_first_request_is_still_running_get_its_answer_and_one_order(
    postgres, transactional_db, shop_server, store, ready_cart
):
    cart = ready_cart((store.shirt, 1), (store.mug, 3))
    key = {"Idempotency-Key": "phone-retry-1"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        with cart_held(cart):
            first = pool.submit(checkout, shop_server, cart.token, **key)
            assert claimed("phone-retry-1")
            retries = [pool.submit(checkout, shop_server, cart.token, **key) for _ in range(7)]
            time.sleep(0.5)
            assert not first.done() and not any(r.done() for r in retries)  # all still waiting on the first
        bodies = [future.result()[1] for future in (first, *retries)]
    assert all(body["data"] == bodies[0]["data"] for body in bodies)  # extensions.cost is each request's own
    assert bodies[0]["data"]["checkoutComplete"]["order"]["status"] == "UNPAID"
    assert Order.objects.count() == 1 and ProductVariant.objects.get(pk=store.shirt.pk).stock == 4


def test_a_retry_is_told_to_come_back_when_the_first_request_runs_long(
    postgres, transactional_db, shop_server, store, ready_cart
):
    cart = ready_cart((store.shirt, 1))
    key = {"Idempotency-Key": "phone-retry-2"}
    with ThreadPoolExecutor(max_workers=1) as pool:
        with cart_held(cart):
            first = pool.submit(checkout, shop_server, cart.token, **key)
            assert claimed("phone-retry-2")
            _, early = checkout(shop_server, cart.token, **key)
        _, answer = first.result()
    assert [e["code"] for e in early["data"]["checkoutComplete"]["errors"]] == ["IDEMPOTENCY_IN_PROGRESS"]
    _, later = checkout(shop_server, cart.token, **key)
    assert later["data"] == answer["data"] and answer["data"]["checkoutComplete"]["order"]["status"] == "UNPAID"
    assert Order.objects.count() == 1


def test_shoppers_filling_carts_while_others_check_out_never_deadlock(postgres, transactional_db, shop_server, store,
                                                                      ready_cart):
    ProductVariant.objects.filter(pk__in=[store.mug.pk, store.shirt.pk]).update(stock=1000)
    carts = [ready_cart((store.mug, 1), (store.shirt, 1)) for _ in range(30)]
    # lines in descending primary-key order: inserting them takes the variants' KEY SHARE locks in that order
    lines = [{"variantId": store.shirt_id, "quantity": 1}, {"variantId": store.mug_id, "quantity": 1}]
    fill = """mutation ($lines: [CartLineInput!]) { cartCreate(input: {lines: $lines}) { errors { code } } }"""

    def add_to_a_new_cart(n: int):
        response = httpx.post(f"{shop_server}/graphql/", json={"query": fill, "variables": {"lines": lines}},
                              headers=client(n), timeout=60)
        return response.status_code, response.json()

    calls = [call for n, cart in enumerate(carts) for call in (
        lambda n=n, cart=cart: checkout(shop_server, cart.token, **client(n)),
        lambda n=n: add_to_a_new_cart(100 + n),
    )]
    answers = in_parallel(calls)
    assert {status for status, _ in answers} == {200}
    assert not [body for _, body in answers if "errors" in body]
    assert Order.objects.count() == 30
