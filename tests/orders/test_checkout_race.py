"""Checkout under load, over real HTTP against daphne on PostgreSQL: buyers racing for the last units, and a
phone retrying a request whose first attempt is still running."""
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from commerce.catalog.models import ProductVariant
from commerce.orders.models import Order, OrderLine
from tests.orders.conftest import CHECKOUT
from tests.servers import deployed_env, start_daphne, stop

pytestmark = [pytest.mark.e2e]
BUYERS = 50
UNITS = 10


@pytest.fixture(scope="module")
def shop_server(django_db_setup):
    process, base = start_daphne(deployed_env(REDIS_URL=""))
    yield base
    stop(process)


def checkout(base: str, token: str, **headers) -> tuple[int, dict]:
    response = httpx.post(f"{base}/graphql/", json={"query": CHECKOUT, "variables": {"token": token}},
                          headers=headers, timeout=60)
    return response.status_code, response.json()


def in_parallel(calls):
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


@pytest.mark.parametrize("round_", range(3))
def test_fifty_buyers_racing_for_ten_units_get_exactly_ten_orders(postgres, transactional_db, shop_server, store,
                                                                  ready_cart, round_):
    ProductVariant.objects.filter(pk=store.shirt.pk).update(stock=UNITS)
    carts = [ready_cart((store.shirt, 1), email=f"buyer{i}@example.com") for i in range(BUYERS)]
    answers = in_parallel([lambda cart=cart: checkout(shop_server, cart.token) for cart in carts])

    assert {status for status, _ in answers} == {200}
    assert not [body for _, body in answers if "errors" in body]  # no top-level error, no server error
    payloads = [body["data"]["checkoutComplete"] for _, body in answers]
    placed = [p for p in payloads if p["order"]]
    refused = [p for p in payloads if not p["order"]]
    assert len(placed) == UNITS
    assert {e["code"] for p in refused for e in p["errors"]} == {"INSUFFICIENT_STOCK"}
    assert ProductVariant.objects.get(pk=store.shirt.pk).stock == 0
    assert OrderLine.objects.filter(variant=store.shirt).count() == UNITS


def test_retries_of_a_request_still_running_get_its_answer_and_one_order(postgres, transactional_db, shop_server,
                                                                        store, ready_cart):
    cart = ready_cart((store.shirt, 1), (store.mug, 3))
    answers = in_parallel([lambda: checkout(shop_server, cart.token, **{"Idempotency-Key": "phone-retry-1"})] * 8)
    bodies = [body for _, body in answers]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["data"]["checkoutComplete"]["order"]["status"] == "UNPAID"
    assert Order.objects.count() == 1 and ProductVariant.objects.get(pk=store.shirt.pk).stock == 4
