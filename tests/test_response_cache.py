"""The shared response cache of anonymous public queries: what it serves, to whom, and that no write leaves a page
stale. Writes commit for real here (transactional tests): the cache is told on commit, as in production."""
import threading
import time
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from commerce.catalog import attributes, media, reviews, sales, staff, stock
from commerce.catalog.models import Product, ProductAttribute
from tests.servers import deployed_env, start_daphne, stop

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = """
query Page($first: Int!) {
  products(first: $first) {
    totalCount
    edges { node {
      name isAvailable onSale
      category { name parent { name } }
      images { alt }
      priceRange { min { amount } max { amount } }
      rating { average count }
      variants { name quantityAvailable price { amount } options { attribute { name } values { name } } }
    } }
  }
}"""


def page(gql, first=5, **headers):
    """(data, extensions.cache) of the catalog page, asked for anonymously."""
    answer = gql(PAGE, {"first": first}, **headers)
    assert not answer.errors, answer.json
    return answer.data, answer.json["extensions"].get("cache")


def names(data) -> list[str]:
    return [edge["node"]["name"] for edge in data["products"]["edges"]]


def uncached(gql):
    """What the page holds now, the cache aside: what a fresh read must show."""
    enabled, settings.RESPONSE_CACHE_ENABLED = settings.RESPONSE_CACHE_ENABLED, False
    try:
        data, outcome = page(gql)
    finally:
        settings.RESPONSE_CACHE_ENABLED = enabled
    assert outcome is None
    return data


@pytest.fixture
def shop(make_product, make_category):
    class Shop:
        pass

    s = Shop()
    s.home = make_category("Home")
    s.garden = make_category("Garden")
    s.lamp = make_product("Oak Lamp", s.home, variants=[("55.50", 4)], ratings=[4])
    s.mug = make_product("Ceramic Mug", s.home, variants=[("12.50", 100), ("14.00", 3)])
    s.draft = make_product("Draft Scarf", variants=[("20.00", 10)], published=False)
    return s


def test_a_repeated_anonymous_page_is_a_miss_then_a_hit_without_sql(gql, shop):
    first, outcome = page(gql)
    assert outcome == "MISS" and first["products"]["totalCount"] == 2
    again = gql(PAGE, {"first": 5})
    assert again.json["extensions"]["cache"] == "HIT" and again.data == first
    assert again.queries == 0  # no SQL at all: the answer came from the cache
    respaced = gql(PAGE.replace("\n", " ").replace("  ", " ") + "\n# a comment", {"first": 5})
    assert respaced.json["extensions"]["cache"] == "HIT"  # the printed document is the key, not its spacing
    assert page(gql, first=1)[1] == "MISS"  # other variables, another entry


def test_a_hit_costs_its_points_and_says_so(gql, shop, settings):
    settings.GRAPHQL_THROTTLE_RESTORE_RATE = 1
    miss = gql(PAGE, {"first": 5}).json["extensions"]
    hit = gql(PAGE, {"first": 5}).json["extensions"]
    assert (miss["cache"], hit["cache"]) == ("MISS", "HIT")
    cost = {key: miss["cost"][key] for key in ("requestedQueryCost", "actualQueryCost")}
    assert {key: hit["cost"][key] for key in cost} == cost and cost["requestedQueryCost"] > 2
    spent = miss["cost"]["throttleStatus"]["currentlyAvailable"] - hit["cost"]["throttleStatus"]["currentlyAvailable"]
    assert spent >= cost["actualQueryCost"] - 1  # taken again (less what a second restores at most)


def test_over_get_and_persisted_it_is_the_same_entry(client, gql, shop):
    import hashlib
    import json

    assert page(gql)[1] == "MISS"
    digest = hashlib.sha256(PAGE.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    variables = json.dumps({"first": 5})
    registered = client.get("/graphql/", {"query": PAGE, "variables": variables, "extensions": extensions})
    assert registered.json()["extensions"]["cache"] == "HIT"
    by_hash = client.get("/graphql/", {"variables": variables, "extensions": extensions})
    assert by_hash.json()["extensions"]["cache"] == "HIT"
    assert by_hash["Cache-Control"] == "no-store"  # no CDN unless opted in


def test_signed_in_callers_and_private_fields_are_never_cached(gql, shop, staff_user, customer):
    from tests.conftest import GraphQLClient

    anonymous, _ = page(gql)
    staff_client = GraphQLClient(gql.client).login(staff_user)
    seen_by_staff, outcome = page(staff_client)
    assert outcome is None and seen_by_staff["products"]["totalCount"] == 3  # the draft too: never from the cache
    assert page(gql)[1] == "HIT" and page(gql)[0] == anonymous  # and never into it for anyone else
    customer_client = GraphQLClient(gql.client).login(customer)
    assert page(customer_client)[1] is None
    private = gql("query { products(first: 1) { totalCount } me { email } }")
    assert "cache" not in private.json["extensions"]
    mutation = gql('mutation { cartCreate(input: {lines: []}) { cart { id } } }')
    assert "cache" not in mutation.json["extensions"]


def test_answers_are_kept_per_host_since_media_urls_are_absolute(gql, shop, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "shop.example"]
    assert page(gql)[1] == "MISS"
    assert page(gql, HTTP_HOST="shop.example")[1] == "MISS"
    assert page(gql, HTTP_HOST="shop.example")[1] == "HIT"


def test_another_release_never_reads_this_ones_answers(gql, settings):
    """A process started with other settings (or code) shares Redis, not answers: a rolling deploy is never stale."""
    assert [gql("{ shop { name } }").json["extensions"]["cache"] for _ in range(2)] == ["MISS", "HIT"]
    settings.SHOP_NAME = "Another Shop"
    answer = gql("{ shop { name } }").json
    assert answer["extensions"]["cache"] == "MISS" and answer["data"]["shop"]["name"] == "Another Shop"


def test_the_cache_can_be_turned_off_and_skips_large_answers(gql, shop, settings):
    settings.RESPONSE_CACHE_ENABLED = False
    assert page(gql)[1] is None
    settings.RESPONSE_CACHE_ENABLED = True
    settings.RESPONSE_CACHE_MAX_ENTRY_BYTES = 100
    assert [page(gql)[1], page(gql)[1]] == ["MISS", "MISS"]  # too large to store


def test_one_request_runs_a_key_while_the_others_of_its_process_wait_for_its_answer(gql, shop, settings):
    """The first request's first catalog read is slowed; a second one started meanwhile runs no SQL and hits."""
    settings.GRAPHQL_THROTTLE_MAXIMUM = 10_000  # both priced in full at once, before either is refunded
    settings.RESPONSE_CACHE_WAIT_SECONDS = 30  # woken by the first's answer, not by giving up
    from django.test import Client

    from tests.conftest import GraphQLClient

    outcomes, statements, started = {}, {"first": [], "second": []}, threading.Event()

    def ask(name, slow):
        def watch(execute, sql, params, many, context):
            statements[name].append(sql)
            if slow and len(statements[name]) == 1:
                started.set()
                threading.Event().wait(0.5)
            return execute(sql, params, many, context)

        try:
            with connection.execute_wrapper(watch):
                outcomes[name] = page(GraphQLClient(Client()))[1]
        finally:
            connections.close_all()

    first = threading.Thread(target=ask, args=("first", True))
    first.start()
    assert started.wait(10)
    begun = time.monotonic()
    second = threading.Thread(target=ask, args=("second", False))
    second.start()
    first.join(20)
    second.join(20)
    assert time.monotonic() - begun < 10
    assert outcomes == {"first": "MISS", "second": "HIT"} and statements["second"] == []


def _sale_on_schedule(s, *, starts: bool):
    now = timezone.now()
    window = {"starts_at": now + timedelta(hours=1)} if starts else {"ends_at": now + timedelta(hours=1)}
    sales.create_sale(name="Spring", percent_off=Decimal("50"), product_ids=[s.lamp.pk], **window)
    return lambda: sales.apply_scheduled_sales(now + timedelta(hours=2))


def _rename_option(s):
    color = ProductAttribute.objects.get(name="Color")
    return lambda: attributes.update_attribute(color.pk, {"name": "Colour"})


def _review(s, customer):
    customer.is_email_verified = True
    customer.save()
    return lambda: reviews.create_review(customer, s.mug.pk, rating=2, title="Chipped", body="")


# Each kind of write: (a set-up run before the page is cached, returning) the write itself.
WRITES = {
    "stock taken by checkout (F() update)": lambda s, c: lambda: transaction.atomic()(stock.change_stock)(
        {s.lamp.variants.get().pk: -1}),
    "stock set by staff": lambda s, c: lambda: staff.set_stock(s.lamp.variants.get().pk, 0),
    "variant price": lambda s, c: lambda: staff.update_variant(s.mug.variants.first().pk, {"price": Decimal("9.00")}),
    "sale created": lambda s, c: lambda: sales.create_sale(name="Now", amount_off=Decimal("5"),
                                                           product_ids=[s.lamp.pk]),
    "sale starts on schedule": lambda s, c: _sale_on_schedule(s, starts=True),
    "sale ends on schedule": lambda s, c: _sale_on_schedule(s, starts=False),
    "unpublish": lambda s, c: lambda: staff.update_product(s.mug.pk, {"is_published": False}),
    "publish": lambda s, c: lambda: staff.update_product(s.draft.pk, {"is_published": True}),
    "review": _review,
    "product moved to another category": lambda s, c: lambda: staff.update_product(
        s.lamp.pk, {"category_id": s.garden.pk}),
    "category moved under another": lambda s, c: lambda: staff.update_category(s.home.pk, {"parent_id": s.garden.pk}),
    "category renamed": lambda s, c: lambda: staff.update_category(s.home.pk, {"name": "House"}),
    "product created": lambda s, c: lambda: staff.create_product(name="New Chair"),
    "product deleted": lambda s, c: lambda: staff.delete_product(s.mug.pk),
    "variant created": lambda s, c: lambda: staff.create_variant(s.lamp.pk, sku="LAMP-XL", price=Decimal("70.00")),
    "variant deleted": lambda s, c: lambda: staff.delete_variant(s.mug.variants.last().pk),
    "attribute renamed": lambda s, c: _rename_option(s),
    "image deleted": lambda s, c: lambda: media.delete_image(s.lamp.images.get().pk),
    "bulk .update()": lambda s, c: lambda: Product.objects.filter(pk=s.lamp.pk).update(name="Brass Lamp"),
    "raw SQL": lambda s, c: lambda: connection.cursor().execute(
        "UPDATE catalog_productvariant SET stock = stock + 1 WHERE product_id = %s", [s.mug.pk]),
}


@pytest.mark.parametrize("kind", WRITES)
def test_every_kind_of_write_refreshes_a_cached_page_on_the_next_read(gql, shop, customer, kind):
    write = WRITES[kind](shop, customer)
    before, _ = page(gql)
    assert page(gql) == (before, "HIT")
    write()
    after, outcome = page(gql)
    assert outcome == "MISS" and after != before
    assert after == uncached(gql)
    assert page(gql) == (after, "HIT")


def test_a_write_in_the_django_admin_refreshes_a_cached_page(gql, shop, client, staff_user):
    from django.urls import reverse

    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    before, _ = page(gql)
    assert page(gql) == (before, "HIT")
    deleted = client.post(reverse("admin:catalog_product_delete", args=[shop.mug.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    after, outcome = page(gql)
    assert outcome == "MISS" and names(after) == ["Oak Lamp"] and after == uncached(gql)


def test_a_rolled_back_write_drops_nothing(gql, shop):
    before, _ = page(gql)
    with pytest.raises(RuntimeError), transaction.atomic():
        Product.objects.filter(pk=shop.lamp.pk).update(name="Never")
        raise RuntimeError
    assert page(gql) == (before, "HIT")


def test_a_miss_that_read_before_a_commit_does_not_store_its_stale_answer(gql, shop, postgres):
    """The page reads the catalog; before it finishes, another connection renames a product and commits."""
    raced = []

    def rename_elsewhere():
        Product.objects.filter(pk=shop.lamp.pk).update(name="Brass Lamp")
        connections.close_all()

    def race(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not raced and sql.lstrip().upper().startswith("SELECT") and '"catalog_product"' in sql:
            raced.append(sql)
            writer = threading.Thread(target=rename_elsewhere)
            writer.start()
            writer.join()
        return result

    with connection.execute_wrapper(race):
        stale, outcome = page(gql)
    assert raced and outcome == "MISS"
    assert "Oak Lamp" in names(stale)  # it read before the commit
    fresh, outcome = page(gql)
    assert outcome == "MISS" and "Brass Lamp" in names(fresh) and "Oak Lamp" not in names(fresh)


@pytest.fixture
def two_servers(redis_url, redis_key_prefix):
    """Two daphne processes sharing this run's Redis keys, as two web processes behind a load balancer."""
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_key_prefix)
    first = start_daphne(env)
    try:
        second = start_daphne(env)
    except Exception:
        stop(first[0])
        raise
    yield first[1], second[1]
    stop(first[0])
    stop(second[0])


def test_a_write_through_one_process_is_seen_fresh_through_another(two_servers, shop, staff_user):
    from commerce.accounts import tokens
    from tests.carts.conftest import gid

    a, b = two_servers

    def read(base):
        """As through a load balancer: one Host for both (the media URLs in an answer are built from it)."""
        answer = httpx.post(f"{base}/graphql/", json={"query": PAGE, "variables": {"first": 5}}, timeout=10,
                            headers={"Host": "localhost"}).json()
        return answer["data"], answer["extensions"]["cache"]

    before, outcome = read(b)
    assert outcome == "MISS" and read(b) == (before, "HIT") and read(a) == (before, "HIT")  # one cache for both
    token = tokens.sign_in(staff_user).access
    renamed = httpx.post(f"{a}/graphql/", timeout=10, headers={"Authorization": f"Bearer {token}"}, json={
        "query": 'mutation($id: ID!) { productUpdate(id: $id, input: {name: "Brass Lamp"}) { errors { code } } }',
        "variables": {"id": gid("Product", shop.lamp.pk)}}).json()
    assert renamed["data"]["productUpdate"]["errors"] == []
    after, outcome = read(b)
    assert outcome == "MISS" and "Brass Lamp" in names(after) and "Oak Lamp" not in names(after)
    stocked = httpx.post(f"{a}/graphql/", timeout=10, headers={"Authorization": f"Bearer {token}"}, json={
        "query": 'mutation($id: ID!) { variantStockSet(id: $id, quantity: 0) { errors { code } } }',
        "variables": {"id": gid("ProductVariant", shop.lamp.variants.get().pk)}}).json()
    assert stocked["data"]["variantStockSet"]["errors"] == []
    restocked, outcome = read(b)
    assert outcome == "MISS" and restocked != after
