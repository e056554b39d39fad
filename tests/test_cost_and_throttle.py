"""What an operation costs, and each client's bucket of points, as an Apollo client reads them in `extensions.cost`.

An entity (a Node) costs 1, values shaped from its row cost 0, a connection 2 plus its page times what is in
it, a plain list 10 times, the operation 1 and a mutation field 10 more.
"""
import asyncio
import concurrent.futures
import json
import time

import httpx
import pytest
import websockets

from graph.transport import buckets
from tests.accounts.conftest import SIGN_IN
from tests.servers import deployed_env, start_daphne, stop

CATALOG_PAGE = (  # the storefront's catalog page, as bench/catalog.py sends it
    "query CatalogPage { products(first: 20) { totalCount pageInfo { hasNextPage endCursor } edges { cursor "
    "node { id slug name isAvailable priceRange { min { amount currency } max { amount currency } } "
    "category { id name slug } images { url alt } variants { id sku name price { amount currency } "
    "quantityAvailable isAvailable attributes { name value } } } } } }"
)


def cost(response) -> dict:
    return response.json["extensions"]["cost"]


@pytest.fixture
def slow_restore(settings):
    """A bucket that refills at one point a second, so that what a test sees is what it spent."""
    settings.GRAPHQL_THROTTLE_RESTORE_RATE = 1


def test_the_catalog_page_costs_what_it_asks_for_and_pays_what_it_got(gql, make_category, make_product,
                                                                       slow_restore):
    shirts = make_category("Shirts")
    for name in ("Linen Shirt", "Oxford Shirt", "Flannel Shirt"):
        make_product(name, shirts)  # one variant each
    response = gql(CATALOG_PAGE)
    response.ok()
    # 1 + connection 2 + 20 x (product 1 + category 1 + 10 variants x 1); 3 products of one variant came back
    assert cost(response) == {
        "requestedQueryCost": 243,
        "actualQueryCost": 1 + 2 + 3 * (1 + 1 + 1),
        "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 1000 - 12, "restoreRate": 1},
    }


@pytest.mark.parametrize(("query", "expected"), [
    ("{ shop { currency } }", 1),
    ("{ __typename }", 1),
    ("{ categories(first: 10) { edges { node { name products(first: 10) { edges { node { name } } } } } } }",
     1 + 2 + 10 * (1 + 2 + 10 * 1)),
    ('{ nodes(ids: ["UHJvZHVjdDox", "UHJvZHVjdDoy"]) { id } }', 1 + 2 * 1),  # the IDs it asks for, not 10
    ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", 1 + 10),  # no value given: priced as a plain list
    ("{ products { totalCount } }", 1 + 2),  # the default page of 20 costs nothing when nothing is in it
    ('mutation { tokenRevoke(refreshToken: "x") { errors { code } } }', 1 + 10),
    # plain lists with `first` cost the page they ask for, literal, variable or the argument's default (10)
    ('{ salesReport(from: "2024-01-01T00:00:00Z", to: "2024-02-01T00:00:00Z") { topProducts(first: 100) '
     "{ product { id } } } }", 1 + 100 * 1),
    ('query($n: Int) { salesReport(from: "2024-01-01T00:00:00Z", to: "2024-02-01T00:00:00Z") '
     "{ topProducts(first: $n) { product { id } } } }", 1 + 10),
    ('{ salesReport(from: "2024-01-01T00:00:00Z", to: "2024-02-01T00:00:00Z") { topProducts '
     "{ product { id } } } }", 1 + 10),
    # a wishlist (up to 100) is priced as 10 up front; a longer one pays the rest after
    ("{ me { wishlist { id } } }", 1 + 1 + 10 * 1),
])
def test_cost_of_known_operations(gql, query, expected):
    assert cost(gql(query))["requestedQueryCost"] == expected


def test_the_variable_first_of_a_plain_list_prices_it(gql):
    query = ('query($n: Int) { salesReport(from: "2024-01-01T00:00:00Z", to: "2024-02-01T00:00:00Z") '
             "{ topProducts(first: $n) { product { id } } } }")
    assert cost(gql(query, {"n": 40}))["requestedQueryCost"] == 1 + 40


def test_a_list_longer_than_it_was_priced_is_paid_for_after(gql, make_product, slow_restore):
    """A product's variants are a plain list priced as 10: twelve of them cost the two more they were."""
    make_product("Linen Shirt", variants=[("30.00", 5)] * 12)
    response = gql("{ products(first: 1) { edges { node { variants { id } } } } }")
    assert len(response.ok()["products"]["edges"][0]["node"]["variants"]) == 12
    assert cost(response) == {
        "requestedQueryCost": 1 + 2 + 1 * (1 + 10 * 1),
        "actualQueryCost": 1 + 2 + 1 * (1 + 12 * 1),
        "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 1000 - 16, "restoreRate": 1},
    }


@pytest.mark.parametrize(("query", "value"), [
    (CATALOG_PAGE.replace("first: 20", "first: 100"), 1203),  # 1 + 2 + 100 x (1 + category 1 + 10 variants)
    ("{ orders(first: 100) { edges { node { lines { variant { id } } } } } }", 1103),  # 1 + 2 + 100 x (1 + 10)
])
def test_pages_of_100_that_must_be_split_are_refused_saying_their_cost(gql, staff_user, query, value):
    """The figures README's API notes give: the limit stays 1,000, a client asks for smaller pages."""
    gql.login(staff_user)
    refused = gql(query)
    assert refused.codes == ["MAX_COST_EXCEEDED"] and refused.data is None
    assert refused.errors[0]["extensions"] == {"code": "MAX_COST_EXCEEDED", "maximum": 1000, "value": value}
    assert refused.errors[0]["message"] == f"This operation would cost {value}, over the maximum of 1000."


def test_an_operation_over_the_maximum_is_refused_with_its_cost(gql):
    query = "{ categories(first: 100) { edges { node { products(first: 100) { edges { node { name } } } } } } }"
    response = gql(query)
    assert response.data is None and response.codes == ["MAX_COST_EXCEEDED"]
    assert response.errors[0]["extensions"]["value"] == 1 + 2 + 100 * (1 + 2 + 100) == cost(response)[
        "requestedQueryCost"]
    assert cost(response)["actualQueryCost"] is None
    assert cost(response)["throttleStatus"]["currentlyAvailable"] == 999  # a refusal costs a point


def test_an_empty_bucket_throttles_with_the_seconds_to_wait(gql, settings, slow_restore):
    settings.GRAPHQL_THROTTLE_MAXIMUM = 250
    assert gql(CATALOG_PAGE).ok()  # asks 243, pays 3 (nothing in the catalog): 247 left
    assert gql(CATALOG_PAGE).ok()  # 244 left
    gql("{ products(first: 100) { totalCount } }")  # 103, pays 3: 241 left
    throttled = gql(CATALOG_PAGE)
    assert throttled.codes == ["THROTTLED"] and throttled.data is None
    assert throttled.errors[0]["extensions"]["retryAfter"] == 2 == int(throttled.http["Retry-After"])
    assert cost(throttled)["throttleStatus"]["currentlyAvailable"] == 241


def test_refused_documents_cost_a_point(gql, slow_restore):
    assert cost(gql("{ products "))["throttleStatus"]["currentlyAvailable"] == 999
    assert cost(gql("{ nope }"))["throttleStatus"]["currentlyAvailable"] == 998


def test_the_address_behind_trusted_proxies(gql, settings, slow_restore):
    def available(**headers) -> int:
        return cost(gql("{ shop { currency } }", **headers))["throttleStatus"]["currentlyAvailable"]

    assert available() == 999  # the test client's own address
    settings.TRUSTED_PROXY_HOPS = 1
    # the port a proxy may write changes with every connection: the address is the client
    assert available(HTTP_X_FORWARDED_FOR="203.0.113.9:4711") == 999
    assert available(HTTP_X_FORWARDED_FOR="203.0.113.9:4712") == 998
    assert available(HTTP_X_FORWARDED_FOR="[2001:db8::1]:443") == 999
    assert available(HTTP_X_FORWARDED_FOR="2001:db8::2") == 998  # one /64
    # two trusted proxies would have written two entries: one is the caller's own, and the peer counts
    settings.TRUSTED_PROXY_HOPS = 2
    assert available(HTTP_X_FORWARDED_FOR="198.51.100.50") == 998


def test_signed_in_users_have_their_own_bucket(gql, customer, slow_restore):
    gql("{ products(first: 100) { totalCount } }")
    gql.login(customer)
    assert cost(gql("{ shop { currency } }"))["throttleStatus"]["currentlyAvailable"] == 999



def test_one_response_key_on_two_fragment_types_costs_the_dearest_type(gql, make_product):
    """Each type's fields are priced with its own definitions: a cheap Product branch cannot lend its price
    to an expensive Category branch under the same key."""
    hostile = ("query($id: ID!) { node(id: $id) { ...on Product { a: reviews(first: 1) { edges { node { id } } } } "
               "...on Category { a: products(first: 100) { edges { node { reviews(first: 100) { edges { node { id } "
               "} } } } } } } }")
    lamp = make_product("Oak Lamp", ratings=[5])
    lamp_id = gql('{ product(slug: "oak-lamp") { id } }').ok()["product"]["id"]
    refused = gql(hostile, {"id": lamp_id})
    assert refused.codes == ["MAX_COST_EXCEEDED"] and refused.data is None
    assert refused.errors[0]["extensions"]["value"] == 1 + 1 + 2 + 100 * (1 + 2 + 100 * 1)
    honest = gql("query($id: ID!) { node(id: $id) { ...on Product { a: reviews(first: 1) { edges { node { id } } } "
                 "} ...on Category { a: products(first: 5) { edges { node { id } } } } } }", {"id": lamp_id})
    assert honest.ok()["node"]["a"]["edges"][0]["node"]["id"]
    # asked: node 1 + the dearer Category branch (2 + 5 x 1); got: node 1 + a page of one review (2 + 1)
    assert cost(honest)["requestedQueryCost"] == 1 + 1 + 2 + 5 and cost(honest)["actualQueryCost"] == 1 + 1 + 2 + 1
    assert lamp


def test_a_fragment_is_priced_wherever_it_is_spread(gql):
    query = ("{ a: products(first: 5) { edges { node { ...Card } } } b: products(first: 7) { edges { node { ...Card "
             "} } } } fragment Card on Product { category { name } variants { id } }")
    # each page: 2 + its items x (product 1 + category 1 + 10 variants x 1)
    assert cost(gql(query))["requestedQueryCost"] == 1 + (2 + 5 * 12) + (2 + 7 * 12)


def doubling(levels: int, on: str = "Query", leaf: str = "shop { name }") -> str:
    """Each fragment spreads the next twice: 2 ** levels expansions from a document of about a kilobyte."""
    fragments = " ".join(f"fragment F{i} on {on} {{ ...F{i + 1} ... on {on} {{ ...F{i + 1} }} }}" for i in range(levels))
    return f"{{ ...F0 }} {fragments} fragment F{levels} on {on} {{ {leaf} }}"


def test_fragments_that_double_at_every_level_are_answered_at_once(gql, client, customer):
    """22 levels are 4 million expansions; collected once per selection, as graphql-core executes them, the
    cost, the caching and the sign-in checks take no longer than the document is long."""
    query = doubling(22)
    assert len(query) < 1500
    for ask in (lambda: gql(query).http, lambda: client.get("/graphql/", {"query": query})):
        started = time.perf_counter()
        answer = ask()
        assert time.perf_counter() - started < 0.5
        assert answer.json()["data"] == {"shop": {"name": "Demo Shop"}}
        assert answer.json()["extensions"]["cost"]["requestedQueryCost"] == 1
    gql.login(customer)  # a bearer token: the root fields are read to see whether the operation ignores it
    mutation = "mutation " + doubling(22, on="Mutation", leaf='tokenRevoke(refreshToken: "x") { errors { code } }')
    started = time.perf_counter()
    revoked = gql(mutation)
    assert time.perf_counter() - started < 0.5
    assert revoked.ok()["tokenRevoke"]["errors"][0]["code"] == "TOKEN_INVALID"
    assert cost(revoked)["requestedQueryCost"] == 1 + 10


# --- Sign-in and password reset: a bucket per client of their own


def sign_in(gql, n: int, **headers):
    return gql(SIGN_IN, {"email": f"guess{n}@example.com", "password": "wrong"}, **headers)


def test_sign_in_attempts_from_one_client_are_throttled(gql, settings):
    assert settings.AUTH_THROTTLE_MAXIMUM == 10
    for n in range(10):
        assert sign_in(gql, n).ok()["tokenCreate"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    throttled = sign_in(gql, 10)
    assert throttled.codes == ["THROTTLED"] and 10 <= throttled.errors[0]["extensions"]["retryAfter"] <= 12
    reset = gql('mutation { passwordResetRequest(email: "a@example.com") { errors { code } } }')
    assert reset.codes == ["THROTTLED"]
    # A client cannot make itself someone else by writing X-Forwarded-For, unless a trusted proxy did.
    assert sign_in(gql, 11, HTTP_X_FORWARDED_FOR="203.0.113.9").codes == ["THROTTLED"]
    settings.TRUSTED_PROXY_HOPS = 1
    assert sign_in(gql, 12, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9").ok()


def test_sign_in_attempts_count_against_the_address_even_with_a_bearer_token(gql, customer):
    """A signed-in caller's other fields do not make sign-ins its account's: the address's bucket is the limit."""
    for n in range(10):
        sign_in(gql, n)
    gql.login(customer)
    response = gql('mutation { tokenCreate(email: "victim@example.com", password: "guess") { accessToken } '
                   'tokenRevoke(refreshToken: "x") { errors { code } } }')
    assert response.codes == ["THROTTLED"] and response.data is None


def test_aliases_do_not_multiply_sign_in_attempts(gql, customer):
    guesses = " ".join(
        f'g{n}: tokenCreate(email: "{customer.email}", password: "guess{n}") {{ accessToken }}' for n in range(11)
    )
    response = gql(f"mutation {{ {guesses} }}")
    assert response.codes == ["THROTTLED"] and response.data is None
    assert gql(SIGN_IN, {"email": customer.email, "password": "a-long-password-1"}).ok()["tokenCreate"]["user"]


# --- Atomic under concurrency


def test_the_local_bucket_is_never_overspent_by_threads(settings):
    settings.REDIS_URL = ""  # embedded mode: the local-memory bucket under its lock
    bucket = buckets.Bucket("test", maximum=30, rate=0.001)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: buckets.take(bucket, "ip:192.0.2.1", 1), range(100)))
    assert sum(status.taken for status in statuses) == 30


def test_the_redis_bucket_gives_back_and_its_keys_expire(redis_url):
    """The Lua script: points given back return (never past the maximum), and a bucket's key lives only until
    the bucket would be full again (plus a second), so idle clients leave nothing in Redis."""
    import redis
    from django.core.cache import cache

    bucket = buckets.Bucket("test", maximum=10, rate=10)
    assert buckets.take(bucket, "ip:192.0.2.7", 8).available == pytest.approx(2, abs=0.5)
    assert buckets.take(bucket, "ip:192.0.2.7", 9).taken is False
    given_back = buckets.take(bucket, "ip:192.0.2.7", -5)
    assert given_back.taken and given_back.available == pytest.approx(7, abs=0.5)
    assert buckets.take(bucket, "ip:192.0.2.7", -100).available == 10
    store = redis.Redis.from_url(redis_url)
    key = cache.make_key("throttle:test:ip:192.0.2.7")
    buckets.take(bucket, "ip:192.0.2.7", 5)  # full again in 0.5 s: the key goes a second after that
    assert 1000 < store.pttl(key) <= 1500
    time.sleep(1.6)
    assert not store.exists(key)
    assert buckets.take(bucket, "ip:192.0.2.7", 10).taken  # a fresh, full bucket


@pytest.fixture(scope="module")
def two_servers(django_db_setup, redis_url, redis_key_prefix):
    """Two web processes sharing one Redis, each bucket 20 points refilled at 1 a second."""
    env = deployed_env(REDIS_KEY_PREFIX=redis_key_prefix, GRAPHQL_THROTTLE_MAXIMUM="20",
                       GRAPHQL_THROTTLE_RESTORE_RATE="1", TRUSTED_PROXY_HOPS="1")
    servers = [start_daphne(env), start_daphne(env)]
    yield [base for _, base in servers]
    for process, _ in servers:
        stop(process)


def test_the_bucket_holds_under_concurrent_requests_to_two_processes(two_servers):
    def ask(n: int) -> httpx.Response:
        return httpx.post(f"{two_servers[n % 2]}/graphql/", json={"query": "{ shop { currency } }"},
                          headers={"X-Forwarded-For": "198.51.100.7"}, timeout=30)

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(ask, range(60)))
    elapsed = time.monotonic() - started
    assert {a.status_code for a in answers} == {200}
    codes = [(a.json().get("errors") or [{}])[0].get("extensions", {}).get("code") for a in answers]
    served = codes.count(None)
    assert codes.count("THROTTLED") == 60 - served
    assert 20 <= served <= 20 + int(elapsed) + 1  # the bucket, plus what it refilled meanwhile


def test_keep_alives_are_free_and_a_throttled_subscribe_is_refused_on_a_socket_that_stays_open(two_servers):
    """An order-tracking screen behind a NAT whose HTTP traffic emptied the shared bucket: its pings cost
    nothing, a new subscription is refused with THROTTLED on its id, and the socket is not closed (graphql-ws
    would never reconnect after a 4429)."""
    address = {"X-Forwarded-For": "198.51.100.8"}

    def available() -> int:
        answer = httpx.post(f"{two_servers[1]}/graphql/", json={"query": "{ shop { currency } }"},
                            headers=address, timeout=30).json()
        return answer["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]

    async def tracking_screen():
        url = two_servers[0].replace("http", "ws") + "/graphql/"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10,
                                      additional_headers=address) as ws:
            async def answer(message: dict) -> dict:
                await ws.send(json.dumps(message))
                return json.loads(await asyncio.wait_for(ws.recv(), 10))

            assert (await answer({"type": "connection_init", "payload": {}}))["type"] == "connection_ack"
            for _ in range(40):  # twice the bucket
                assert (await answer({"type": "ping"})) == {"type": "pong"}
            after_pings = available()
            while available() > 0:  # the NAT's browsers spend the rest
                pass
            refused = await answer({"id": "1", "type": "subscribe",
                                    "payload": {"query": "subscription { myOrdersUpdated { order { id } } }"}})
            assert (await answer({"type": "ping"})) == {"type": "pong"}  # still open
            return after_pings, refused

    after_pings, refused = asyncio.run(tracking_screen())
    # 20 less the forced point of connection_init and the one HTTP query that reads the figure (+1 a second)
    assert after_pings >= 20 - 2
    assert refused["type"] == "error" and refused["id"] == "1"
    (error,) = refused["payload"]
    assert error["extensions"]["code"] == "THROTTLED" and error["extensions"]["retryAfter"] >= 1

