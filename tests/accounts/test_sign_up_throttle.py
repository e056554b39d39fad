"""Sign-up under attack, as the security review ran it: 80 parallel accountRegister calls from one address against
a real daphne (each request on its own connection, the throttle's buckets in Redis as in production), and the new
accounts' cost buckets, which must not be a way round their address's. Then an account deleted over HTTP."""
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from commerce.accounts.models import User
from graph.transport import buckets
from tests.accounts.conftest import PASSWORD, SIGN_IN
from tests.servers import deployed_env, start_daphne, stop

pytestmark = [pytest.mark.e2e]
SIGN_UPS = 80
REGISTER = """mutation ($email: String!) { accountRegister(input: {email: $email, password: "%s"}) {
  accessToken user { email } errors { code } } }""" % PASSWORD


@pytest.fixture(scope="module")
def shop_server(django_db_setup, redis_url, redis_key_prefix):
    process, base = start_daphne(deployed_env(REDIS_KEY_PREFIX=redis_key_prefix, TRUSTED_PROXY_HOPS="1"))
    yield base
    stop(process)


def post(base: str, query: str, variables: dict, address: str, token: str | None = None) -> dict:
    headers = {"X-Forwarded-For": address, **({"Authorization": f"Bearer {token}"} if token else {})}
    response = httpx.post(f"{base}/graphql/", json={"query": query, "variables": variables}, headers=headers,
                          timeout=60)
    assert response.status_code == 200
    return response.json()


def test_eighty_parallel_sign_ups_from_one_address_are_throttled(postgres, transactional_db, shop_server):
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=SIGN_UPS) as pool:
        answers = list(pool.map(lambda n: post(shop_server, REGISTER, {"email": f"bot{n}@example.com"},
                                               "198.51.100.80"), range(SIGN_UPS)))
    elapsed = time.monotonic() - started

    registered = [a for a in answers if a.get("data") and a["data"]["accountRegister"]["accessToken"]]
    throttled = [a for a in answers if a.get("errors")]
    assert len(registered) + len(throttled) == SIGN_UPS  # nothing else: no server error
    assert {e["extensions"]["code"] for a in throttled for e in a["errors"]} == {"THROTTLED"}
    assert all(a["errors"][0]["extensions"]["retryAfter"] >= 1 for a in throttled)
    # The address's auth bucket: its 10, and what refilled at 5 a minute while they ran.
    assert 1 <= len(registered) <= 10 + int(elapsed / 12) + 1
    assert User.objects.filter(email__startswith="bot").count() == len(registered)
    # Another address signs up as before.
    other = post(shop_server, REGISTER, {"email": "real.customer@example.com"}, "192.0.2.44")
    assert other["data"]["accountRegister"]["errors"] == []


def test_an_account_deleted_over_http_cannot_sign_in_again(postgres, transactional_db, shop_server):
    address = "192.0.2.45"
    signed_up = post(shop_server, REGISTER, {"email": "leaving@example.com"}, address)["data"]["accountRegister"]
    deleted = post(shop_server, f'mutation {{ accountDelete(password: "{PASSWORD}") {{ user {{ email }} '
                                'errors { code } } }', {}, address, signed_up["accessToken"])
    assert deleted["data"]["accountDelete"] == {"user": None, "errors": []}
    me = post(shop_server, "{ me { email } }", {}, address, signed_up["accessToken"])
    assert me["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    again = post(shop_server, SIGN_IN, {"email": "leaving@example.com", "password": PASSWORD}, address)
    assert [e["code"] for e in again["data"]["tokenCreate"]["errors"]] == ["INVALID_CREDENTIALS"]
    assert User.objects.get(email__startswith="deleted-").deleted_at is not None


def test_a_new_account_starts_with_no_more_query_points_than_its_address(gql, settings):
    """Otherwise ten sign-ups would be ten full buckets for the address that the throttle said was empty."""
    settings.GRAPHQL_THROTTLE_RESTORE_RATE = 1
    bucket = buckets.cost_bucket()
    buckets.take(bucket, "ip:127.0.0.1", bucket.maximum - 100)  # the address has spent most of its points
    answer = gql(REGISTER, {"email": "fresh@example.com"})
    token = answer.ok()["accountRegister"]["accessToken"]
    address_left = answer.json["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
    assert address_left < 100  # the sign-up was charged to the address

    me = gql.bearer(token)("{ me { email } }")
    assert me.ok()["me"]["email"] == "fresh@example.com"
    assert me.json["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] <= address_left + 2
