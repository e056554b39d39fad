"""Fixtures of the realtime tests: a customer's order the servers can see, and a daphne in embedded mode."""
import pytest

from tests.orders.conftest import place
from tests.realtime.client import STOREFRONT
from tests.servers import deployed_env, start_daphne, stop


@pytest.fixture
def order_of(gql, store, customer, ready_cart):
    """The customer's UNPAID order (its intent open at the fake Stripe), committed for the servers to see."""
    from commerce.orders.models import Order

    payload = place(gql.login(customer), ready_cart((store.shirt, 1), user=customer))
    gql.headers.clear()
    return Order.objects.get(token=payload["order"]["token"])


@pytest.fixture
def embedded_server(transactional_db, stripe):
    """One daphne in embedded mode: the in-memory layer, and jobs in the server process."""
    process, base = start_daphne(deployed_env(REDIS_URL="", STRIPE_API_BASE=stripe.base,
                                              CORS_ALLOWED_ORIGINS=STOREFRONT))
    yield base
    stop(process)


@pytest.fixture
def tight_server(transactional_db, redis_url, redis_key_prefix, stripe):
    """One daphne on this test run's Redis layer (changes this process makes reach it), whose sockets may have 20
    frames waiting, and whose feeds resume 10 events back."""
    process, base = start_daphne(deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_key_prefix,
                                              STRIPE_API_BASE=stripe.base, REALTIME_SEND_QUEUE="20",
                                              REALTIME_REPLAY_LIMIT="10"))
    yield base
    stop(process)
