"""Shared fixtures: the real services the suite runs on, a GraphQL client, and the people who call it.

The suite runs on SQLite with no services (a newcomer's laptop) and on PostgreSQL and Redis in CI. A test that
needs one of them asks for `postgres` or `redis`: without it, it is skipped locally and fails in CI (CI=true),
so a CI run can never pass by silently skipping what it exists to prove.
"""
import json
import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytest_plugins = ["tests.shop"]


def pytest_collection_modifyitems(items):
    """Mark the tests that need PostgreSQL or Redis, so an embedded-only run can deselect them (-m "not services")."""
    for item in items:
        if {"postgres", "redis_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI and is not configured or not reachable.")
    pytest.skip(f"needs {what}")


@pytest.fixture
def postgres(db):
    if connection.vendor != "postgresql":
        _missing("PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture(scope="session")
def redis_url():
    if not settings.REDIS_URL:
        _missing("Redis (REDIS_URL=redis://...)")
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _missing(f"a reachable Redis at REDIS_URL ({exc})")
    return settings.REDIS_URL


@pytest.fixture(scope="session")
def redis_key_prefix():
    """Keys of this test run only (tests/settings.py), in the Redis database REDIS_URL names."""
    return settings.REDIS_KEY_PREFIX


@pytest.fixture(scope="session")
def _stripe_server():
    from tests.fake_stripe import FakeStripe

    fake = FakeStripe()
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def stripe(_stripe_server, settings):
    """Every test talks to the fake Stripe (tests/fake_stripe.py) with the real library; it starts each test empty."""
    from tests.fake_stripe import SECRET_KEY, WEBHOOK_SECRET

    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = SECRET_KEY, WEBHOOK_SECRET
    settings.STRIPE_API_BASE = _stripe_server.base
    _stripe_server.reset()
    return _stripe_server


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Counters kept in the cache (failed sign-ins) start at zero in every test; only this run's keys go."""
    from django.core.cache import cache

    if not settings.REDIS_URL:
        cache.clear()
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(cache.make_key("*"), count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite's test database in a file, not in memory, so a server process started by a test can open it."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.getbasetemp() / "test.sqlite3")


@pytest.fixture
def make_category(db):
    from commerce.catalog import services
    from commerce.catalog.models import Category

    def make(name: str, parent=None) -> Category:
        return services.save_category(Category(name=name, slug=name.lower().replace(" ", "-"), parent=parent))

    return make


@pytest.fixture
def make_product(db):
    """make_product("Linen Shirt", shirts, variants=[("30.00", 5)], ratings=[5, 4], age_days=3)"""
    from commerce.catalog import attributes, services
    from commerce.catalog.models import Product, ProductImage, ProductVariant, Review

    counter = iter(range(1, 10_000))

    def make(name, category=None, *, variants=(("10.00", 1),), ratings=(), published=True, age_days=0,
             description="", images=1, options=None):
        """`options`: each variant's {"name", "value"} pairs (by default Size <i> and Color Blue)."""
        n = next(counter)
        product = Product.objects.create(
            name=name, slug=name.lower().replace(" ", "-"), category=category, is_published=published,
            description=description,
        )
        Product.objects.filter(pk=product.pk).update(created_at=timezone.now() - timedelta(days=age_days))
        for i, (price, stock) in enumerate(variants):
            variant = ProductVariant.objects.create(
                product=product, sku=f"T{n}-{i}", name=f"Size {i}", price=Decimal(price), stock=stock, position=i,
            )
            pairs = options[i] if options is not None else [{"name": "Size", "value": str(i)},
                                                            {"name": "Color", "value": "Blue"}]
            attributes.set_variant_options(variant, attributes.options_from_pairs(pairs), path=["options"])
        for i in range(images):
            ProductImage.objects.create(product=product, url=f"https://img.example/{n}/{i}.jpg", alt=f"{name} {i}",
                                        position=i)
        for rating in ratings:
            Review.objects.create(product=product, author_name="Ann", rating=rating, title="t", body="b")
        services.refresh_products([product.pk])
        product.refresh_from_db()
        return product

    return make


class GraphQLResponse:
    def __init__(self, http, queries):
        self.http = http
        self.status = http.status_code
        self.json = http.json()
        self.data = self.json.get("data")
        self.errors = self.json.get("errors") or []
        self.queries = queries

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]

    def ok(self):
        assert self.status == 200 and not self.errors, self.json
        return self.data


class GraphQLClient:
    """POSTs operations to /graphql/ as a storefront does, and counts the SQL they cost."""

    def __init__(self, client: Client):
        self.client = client
        self.headers: dict[str, str] = {}

    def __call__(self, query: str, variables: dict | None = None, **headers) -> GraphQLResponse:
        with CaptureQueriesContext(connection) as ctx:
            http = self.client.post(
                "/graphql/",
                json.dumps({"query": query, "variables": variables or {}}),
                content_type="application/json",
                **{**self.headers, **headers},
            )
        return GraphQLResponse(http, len(ctx.captured_queries))

    def login(self, user):
        """Sign in as a storefront does after tokenCreate: every request carries the user's access token."""
        from commerce.accounts import tokens

        return self.bearer(tokens.sign_in(user).access)

    def bearer(self, token: str):
        self.headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return self


@pytest.fixture
def gql(db) -> GraphQLClient:
    return GraphQLClient(Client())


@pytest.fixture
def staff_user(db):
    from commerce.accounts.models import User

    return User.objects.create_user("staff@example.com", "a-long-password-1", is_staff=True)


@pytest.fixture
def customer(db):
    from commerce.accounts.models import User

    return User.objects.create_user("customer@example.com", "a-long-password-1")


@pytest.fixture
def superuser(staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    return staff_user


@pytest.fixture
def admin_client(client, superuser):
    """The Django test client signed in to the admin as a superuser (pytest-django's own, made ours)."""
    client.force_login(superuser)
    return client


@pytest.fixture
def staff_gql(gql, staff_user) -> GraphQLClient:
    return gql.login(staff_user)


class Jobs:
    """Runs what the app enqueued, with a worker inside the test process on the configured broker.

    That broker is Dramatiq's in-memory one on SQLite runs and the real Redis (this run's namespace) in CI.
    Jobs see only committed data and are enqueued on commit, so tests that run them use `transactional_db`.
    """

    def __init__(self, broker, worker):
        self.broker = broker
        self.worker = worker

    def run(self, timeout_ms: int = 20_000) -> None:
        """Wait until every queue is empty and the worker is idle (retries with backoff included)."""
        for queue in sorted(self.broker.get_declared_queues()):
            if not queue.endswith(".DQ") and not queue.endswith(".XQ"):
                self.broker.join(queue, timeout=timeout_ms)
        self.worker.join()

    def drain(self) -> None:
        """Drop every queued message (delayed retries too) and wait for those the worker already holds, so that
        no job of one test runs, or sends its email, during the next."""
        self.broker.flush_all()
        self.worker.join()
        self.broker.flush_all()  # a retry the worker enqueued while it finished


@pytest.fixture(scope="session")
def _job_worker(django_db_setup, django_db_blocker):
    """One in-process worker for the session, stopped before the test database is dropped."""
    import dramatiq

    from tasks import embedded

    worker = embedded.start_worker()
    yield Jobs(dramatiq.get_broker(), worker)
    embedded.stop_worker()


@pytest.fixture
def jobs(_job_worker, transactional_db, mailoutbox) -> Jobs:
    """The session's worker, with nothing left from the tests before (their jobs, their emails) and nothing of
    this test's left for the next."""
    _job_worker.drain()
    mailoutbox.clear()
    yield _job_worker
    _job_worker.drain()
