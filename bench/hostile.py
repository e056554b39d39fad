"""Benchmark: how fast hostile documents are refused, and what metering costs the catalog page.

Why: a cap is only a defence if refusing is cheap; and every honest request now pays for its cost to be
calculated and taken from its client's bucket, which must stay small next to the page itself.

How: in this process, with the server's settings (DEBUG off; the bucket in Redis when REDIS_URL is set, its
refill made huge so that nothing is throttled while timing), through Django's test client and the full
middleware stack. Each hostile shape is sent --repeats times and the median time to its refusal printed,
with its code; for contrast, graphql-core's standard validation alone on the 900 duplicate fields. Then the
catalog page (bench/catalog.py's query, `products(first: 20)`, on a seeded PostgreSQL catalog): the median
time of the page through the API's view, the same view on a schema without the Metering extension, and the
cost calculation alone (plan, requested and actual cost) plus the bucket's two round trips.

    .venv/bin/python bench/hostile.py [--products 2000] [--repeats 50]
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.catalog import QUERY as CATALOG_PAGE  # noqa: E402
from bench.catalog import prepare_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commerce_hostile_bench"


def hostile_shapes() -> dict[str, str]:
    return {
        "deep (50 levels)": '{ category(slug: "x") { ' + "parent { " * 50 + "name" + " }" * 51 + " }",
        "deep (600 levels)": '{ category(slug: "x") { ' + "parent { " * 600 + "name" + " }" * 601 + " }",
        "wide aliases (600)": "{ " + " ".join(f"a{i}: __typename" for i in range(600)) + " }",
        "900 duplicate fields": "{ shop { " + "name " * 900 + "} }",
        "huge tokens (100,000)": "{ shop { " + "name " * 100_000 + "} }",
        "comment flood (500,000 lines)": "{ shop { name } }" + "\n#" * 500_000,
        "one comment of 2 MB": "{ shop { name } } #" + "x" * 2_000_000,
        "directive flood (240 on a field)": "{ shop { name" + " @include(if: true)" * 240 + " } }",
        "fragments doubling (22 levels)": "{ ...F0 } " + " ".join(
            f"fragment F{i} on Query {{ ...F{i + 1} ... on Query {{ ...F{i + 1} }} }}" for i in range(22)
        ) + " fragment F22 on Query { shop { name } }",
        "one key on two types": 'query { node(id: "UHJvZHVjdDox") { ...on Product { a: reviews(first: 1) { edges {'
                                " node { id } } } } ...on Category { a: products(first: 100) { edges { node {"
                                " reviews(first: 100) { edges { node { id } } } } } } } } }",
        "cost (3 nested pages of 100)": "{ categories(first: 100) { edges { node { products(first: 100) { edges {"
                                        " node { reviews(first: 100) { edges { node { title } } } } } } } } } }",
        "batch of 100": None,
    }


def time_it(call, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats + 1):  # the first warms up
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:]), result


def refusals(client, repeats: int) -> None:
    print(f"\nRefusals (Django test client, full middleware; median of {repeats}):\n")
    print(f"{'shape':<32} {'bytes':>9} {'ms':>8}  answer")
    print("-" * 70)
    for name, query in hostile_shapes().items():
        body = json.dumps([{"query": "{ __typename }"}] * 100 if query is None else {"query": query})

        def send():
            return client.post("/graphql/", body, content_type="application/json")

        ms, response = time_it(send, repeats)
        try:
            answer = json.loads(response.content)
        except ValueError:
            answer = {}
        errors = answer.get("errors", []) if isinstance(answer, dict) else []
        code = errors[0].get("extensions", {}).get("code") if errors else None
        print(f"{name:<32} {len(body):>9} {ms:>8.2f}  {response.status_code} {code or 'answered'}")

    from graphql import parse, specified_rules, validate

    from graph.schema import schema

    document = parse(hostile_shapes()["900 duplicate fields"])
    ms, _ = time_it(lambda: validate(schema._schema, document, specified_rules), max(3, repeats // 10))
    print(f"\nFor contrast, graphql-core's standard validation alone of the 900 duplicate fields: {ms:.1f} ms")


def catalog_overhead(repeats: int) -> None:
    from django.test import RequestFactory

    from graph.schema import Mutation, Query, Schema, Subscription, schema
    from graph.transport import buckets, cost
    from graph.transport.metering import Metering
    from graph.transport.views import ApiView

    unmetered = Schema(query=Query, mutation=Mutation, subscription=Subscription, config=schema.config,
                       extensions=[e for e in schema.extensions if e is not Metering])
    views = {"with metering": ApiView.as_view(schema=schema), "without metering": ApiView.as_view(schema=unmetered)}
    body = json.dumps({"query": CATALOG_PAGE})
    factory = RequestFactory()

    def page(view):
        response = view(factory.post("/graphql/", body, content_type="application/json"))
        assert response.status_code == 200 and b'"errors"' not in response.content, response.content[:300]
        return json.loads(response.content)

    print(f"\nCatalog page, products(first: 20), through the view; medians of {repeats}, alternating:\n")
    samples = {name: [] for name in views}
    for round_ in range(repeats):
        for name, view in list(views.items())[::1 if round_ % 2 else -1]:  # each goes first half the time
            started = time.perf_counter()
            page(view)
            samples[name].append((time.perf_counter() - started) * 1000)
    medians = {name: statistics.median(times[1:]) for name, times in samples.items()}
    for name, ms in medians.items():
        print(f"  {name:<18} {ms:8.2f} ms")
    difference = medians["with metering"] - medians["without metering"]
    print(f"  difference         {difference:8.2f} ms ({100 * difference / medians['without metering']:+.1f}%)")

    from graphql import get_operation_ast, parse

    document = parse(CATALOG_PAGE)
    operation = get_operation_ast(document)
    data = page(views["with metering"])["data"]

    def calculate():
        planned = cost.plan(schema._schema, document, operation, {})
        return cost.requested_cost(planned), cost.actual_cost(planned, data)

    ms, (requested, actual) = time_it(calculate, repeats)
    bucket = buckets.cost_bucket()
    take_ms, _ = time_it(lambda: (buckets.take(bucket, "ip:bench", requested),
                                  buckets.take(bucket, "ip:bench", actual - requested)), repeats)
    store = "Redis" if os.environ.get("REDIS_URL") else "local memory"
    print(f"  cost calculation alone: {ms:.3f} ms (requested {requested}, actual {actual}); "
          f"bucket take and refund ({store}): {take_ms:.3f} ms")
    print(f"  => metering's own work is {100 * (ms + take_ms) / medians['without metering']:.1f}% of the page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    env = {
        **os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "SECRET_KEY": "bench",
        "ALLOWED_HOSTS": "testserver,127.0.0.1", "GRAPHQL_THROTTLE_RESTORE_RATE": str(10**9),
        "LOG_LEVEL": "WARNING",
    }
    url = urlsplit(database_url)
    print(f"Database {url.hostname}:{url.port or 5432}{url.path}: migrating and seeding {args.products} products...")
    prepare_database(database_url, env, args.products)
    os.environ.update(env, DJANGO_SETTINGS_MODULE="project.settings")
    import django

    django.setup()
    import logging

    from django.test import Client

    logging.getLogger("django.request").setLevel(logging.ERROR)  # not a line for each refused batch (400)

    refusals(Client(), args.repeats)
    catalog_overhead(args.repeats)


if __name__ == "__main__":
    main()
