"""Benchmark: the storefront's catalog page through GraphQL versus the same page as a plain Django view.

Why: to know what the GraphQL layer (parsing, validation, the optimizer, resolvers) costs on the hottest read
of the contract, compared with a hand-written view that returns the very same JSON (bench/plain_view.py).

How: migrate and seed a PostgreSQL catalog (--products, default 10,000), serve the project with daphne
(DEBUG off, persistent DB connections, no access log, ROOT_URLCONF=bench.urls for the plain view), check
that both endpoints return identical data, then for each concurrency run that many keep-alive client threads
for --duration seconds (after a warm-up) against each endpoint and print req/s, p50/p95 latency and SQL
queries per request (counted in-process with Django's test client). Nothing is cached on either side.
Client, server and PostgreSQL share the machine, so CPU use of each is printed too (100% = one core).
Note that CONN_MAX_AGE does not keep connections under ASGI: Django runs each request's sync code in a
fresh thread, so each request over HTTP opens its own PostgreSQL connection (the in-process numbers do not).

The faceted page is the catalog page a filtering storefront asks for: the same page plus `facets`, with two
attribute filters (colour, size) and a search. Its SQL per request must not grow with the page or the catalog,
and its p50 at 100,000 products should stay within 2x of that at 10,000 (run with --products 100000 to see).

Sorted pages (in-process only): the catalog page under every sort, first and --deep items deep (50,000 by default,
less in a smaller catalog), each from the keyset cursor a client paging that far would hold; the same deep page
from an old offset cursor shows what keyset cursors save. RELEVANCE is measured with a search (offset-paged:
no index holds a rank) and reported, not targeted. `--in-process-only` skips the HTTP load.

With --tracing, instead: what OpenTelemetry tracing costs (project/observability/tracing.py). The GraphQL and
faceted pages are loaded with tracing off and on, alternately, --rounds times each, each time from a fresh daphne;
"on" exports every span (HTTP request, operation, each SQL statement) by OTLP over HTTP to a local collector that
reads and drops them (this process), the path a production exporter takes. Printed: the median of the rounds'
req/s and p50 for each, the daphne process's CPU time per request, and the cost: the extra CPU per request
(which is what tracing adds; on a busy machine req/s and latency move with the neighbours, CPU per request less).
Then the same pages in this process through Django's test client, many times in alternating blocks with tracing
off and on (the operation's and the SQL statements' spans, exported the same way; not the ASGI request span, which
the test client does not pass through): this process's CPU time per request, a steadier figure on a busy machine.

    .venv/bin/python bench/catalog.py [--products 10000] [--duration 10] [--concurrency 1,4,16]
                                      [--endpoints graphql,plain,faceted] [--deep 50000] [--in-process-only]
    .venv/bin/python bench/catalog.py --tracing [--rounds 3] [--duration 10] [--concurrency 1,4]
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import UNMETERED  # noqa: E402
from tests.servers import free_port, start_daphne, stop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commerce_bench"
WARMUP_SECONDS = 2.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

QUERY = (
    "query CatalogPage { products(first: 20) { totalCount pageInfo { hasNextPage endCursor } edges { cursor "
    "node { id slug name isAvailable priceRange { min { amount currency } max { amount currency } } "
    "category { id name slug } images { url alt } variants { id sku name price { amount currency } "
    "quantityAvailable isAvailable attributes { name value } } } } } }"
)
FACETED_QUERY = QUERY.replace("query CatalogPage { products(first: 20) {", (
    "query FacetedPage { products(first: 20, filter: {search: \"cotton\", attributes: ["
    "{slug: \"color\", values: [\"black\", \"navy\"]}, {slug: \"size\", values: [\"m\", \"l\"]}]}) { "
    "facets { attribute { id slug name type } values { value { slug name } count } } "))
SORTED_QUERY = QUERY.replace("query CatalogPage { products(first: 20) {", (
    "query SortedPage($sort: ProductSort, $after: String, $filter: ProductFilter) { "
    "products(first: 20, sort: $sort, after: $after, filter: $filter) {"))
SORTS = ("NAME", "PRICE", "CREATED_AT", "RATING")
RELEVANCE_SEARCH = "cotton"
PLAIN_PATH = "/bench/plain-products/"
JSON_HEADERS = {"Content-Type": "application/json"}


class Endpoint:
    def __init__(self, name: str, method: str, path: str, body: bytes | None = None):
        self.name, self.method, self.path, self.body = name, method, path, body
        self.headers = JSON_HEADERS if body else {}


def graphql_endpoint(first: int = 20) -> Endpoint:
    body = json.dumps({"query": QUERY.replace("first: 20", f"first: {first}")}).encode()
    return Endpoint("graphql", "POST", "/graphql/", body)


def faceted_endpoint(first: int = 20) -> Endpoint:
    body = json.dumps({"query": FACETED_QUERY.replace("first: 20", f"first: {first}")}).encode()
    return Endpoint("faceted", "POST", "/graphql/", body)


PLAIN = Endpoint("plain", "GET", PLAIN_PATH)
FACETED = faceted_endpoint()
IN_PROCESS = [
    ("graphql", graphql_endpoint(20)),
    ("plain", PLAIN),
    ("graphql first: 1", graphql_endpoint(1)),
    ("graphql first: 100", graphql_endpoint(100)),
    ("faceted", FACETED),
    ("faceted first: 1", faceted_endpoint(1)),
    ("faceted first: 100", faceted_endpoint(100)),
]


def sorted_endpoint(sort: dict, after: str | None = None, search: str | None = None) -> Endpoint:
    variables = {"sort": sort, "after": after, "filter": {"search": search} if search else None}
    return Endpoint("sorted", "POST", "/graphql/", json.dumps({"query": SORTED_QUERY, "variables": variables}).encode())


def sorted_pages(deep: int) -> list[tuple[str, Endpoint]]:
    """Every sort's first page and the page `deep` items in, from the keyset cursor of the row before it (what a
    client holds after paging there) and, for comparison, from an offset cursor. Needs Django set up."""
    from strawberry.relay import to_base64

    from commerce.catalog import selectors
    from commerce.catalog.models import Product
    from graph.catalog import _key_text
    from graph.core.cursors import make_keyset_cursor

    published = Product.objects.published()
    deep = max(1, min(deep, published.count() - 20))
    pages = []
    for field in SORTS:
        for direction in ("ASC", "DESC"):
            sort = {"field": field, "direction": direction}
            order = selectors.ProductOrder(selectors.SortField[field], descending=direction == "DESC")
            before = selectors.sort_products(published, order)[deep - 1]
            cursor = make_keyset_cursor(f"{field}:{direction}", _key_text(before.sort_key), before.pk)
            label = f"{field} {direction}"
            pages += [(f"{label} first", sorted_endpoint(sort)), (f"{label} @{deep}", sorted_endpoint(sort, cursor))]
        pages.append((f"{field} ASC @{deep} offset", sorted_endpoint(
            {"field": field, "direction": "ASC"}, to_base64("arrayconnection", deep - 1))))
    matches = selectors.filter_products(published, selectors.ProductQuery(search=RELEVANCE_SEARCH)).count()
    relevance = {"field": "RELEVANCE"}
    pages.append((f"RELEVANCE {RELEVANCE_SEARCH!r} first", sorted_endpoint(relevance, search=RELEVANCE_SEARCH)))
    deep_match = max(1, min(deep, matches - 20))
    pages.append((f"RELEVANCE {RELEVANCE_SEARCH!r} @{deep_match}", sorted_endpoint(
        relevance, to_base64("arrayconnection", deep_match - 1), search=RELEVANCE_SEARCH)))
    return pages


# --- Setup: database, server


def server_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CONN_MAX_AGE": "60",
        "ROOT_URLCONF": "bench.urls",
        "PYTHONPATH": str(ROOT),
        # Nothing is cached: every request is planned, queried and serialized, as the figures claim (the
        # response cache is on by default; bench/serving.py measures it separately).
        "RESPONSE_CACHE_ENABLED": "0",
        **UNMETERED,
    }


def run_sql(url: str, statement: str, params=()) -> list:
    """Outside a transaction, as CREATE DATABASE and VACUUM need; returns the rows, if any."""
    import psycopg2

    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def prepare_database(database_url: str, env: dict, products: int) -> None:
    """Create, migrate and seed it, then VACUUM ANALYZE: a freshly seeded table has no planner statistics."""
    url = urlsplit(database_url)
    name = url.path.lstrip("/")
    server = urlunsplit(url._replace(path="/postgres"))
    if not run_sql(server, "SELECT 1 FROM pg_database WHERE datname = %s", [name]):
        run_sql(server, f'CREATE DATABASE "{name}"')
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "seed_catalog", "--products", str(products)], cwd=ROOT, env=env, check=True)
    run_sql(database_url, "VACUUM ANALYZE")


# --- Measuring


def fetch(port: int, endpoint: Endpoint) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(endpoint.method, endpoint.path, endpoint.body, endpoint.headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def fetch_page(port: int, endpoint: Endpoint) -> dict:
    status, body = fetch(port, endpoint)
    page = json.loads(body) if status == 200 else {}
    if "errors" in page or "data" not in page:
        sys.exit(f"MISMATCH: {endpoint.name} answered {status}: {body[:500]!r}")
    return page["data"]["products"]


def check_same_page(port: int) -> None:
    """Stop unless the plain view returns exactly the data GraphQL does: nodes first, then the rest."""
    graphql, plain = fetch_page(port, graphql_endpoint()), fetch_page(port, PLAIN)
    graphql_nodes, plain_nodes = ([edge["node"] for edge in page["edges"]] for page in (graphql, plain))
    for index, (a, b) in enumerate(zip(graphql_nodes, plain_nodes)):
        if a != b:
            sys.exit(f"MISMATCH at node {index}:\n graphql: {json.dumps(a)}\n plain:   {json.dumps(b)}")
    if len(graphql_nodes) != len(plain_nodes):
        sys.exit(f"MISMATCH: {len(graphql_nodes)} GraphQL nodes, {len(plain_nodes)} plain nodes")
    if graphql != plain:
        graphql_rest, plain_rest = ({k: v for k, v in page.items() if k != "edges"} for page in (graphql, plain))
        sys.exit(f"MISMATCH outside the nodes:\n graphql: {graphql_rest}\n plain:   {plain_rest}")
    print(f"Same data from both endpoints: {len(graphql_nodes)} products, {len(json.dumps(graphql)) // 1024} KB.")


def cpu_seconds(pids) -> float:
    """CPU time of these processes and of their exited children (PostgreSQL backends come and go)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone since listed
        total += sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
    return total / CLOCK_TICKS


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def server_cpu(server_pid: int) -> tuple[float, float, float]:
    return cpu_seconds([server_pid]), cpu_seconds(postgres_pids()), time.process_time()


def client_loop(port, endpoint, measure_from, stop_at, latencies, failures) -> None:
    """Send requests back to back on one keep-alive connection; keep latencies of those sent after warm-up."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    method, path, body, headers = endpoint.method, endpoint.path, endpoint.body, endpoint.headers
    clock = time.perf_counter
    while (started := clock()) < stop_at:
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            connection.close()
            ok = False
        if started < measure_from:
            continue
        if ok:
            latencies.append(clock() - started)
        else:
            failures.append(started)
    connection.close()


def load(port: int, server_pid: int, endpoint: Endpoint, concurrency: int, duration: float) -> dict:
    latencies, failures = [], []
    measure_from = time.perf_counter() + WARMUP_SECONDS
    stop_at = measure_from + duration
    arguments = (port, endpoint, measure_from, stop_at, latencies, failures)
    threads = [threading.Thread(target=client_loop, args=arguments, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measure_from - time.perf_counter()))
    cpu_before = server_cpu(server_pid)
    time.sleep(max(0.0, stop_at - time.perf_counter()))
    cpu_after = server_cpu(server_pid)
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "p50": percentile(latencies, 0.50) * 1000,
        "p95": percentile(latencies, 0.95) * 1000,
        "failures": len(failures),
        "cpu": [100 * (after - before) / duration for before, after in zip(cpu_before, cpu_after)],
    }


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def measure_in_process(env: dict, repeats: int = 10, deep: int = 50_000) -> dict[str, dict]:
    """SQL statements, median time and median SQL time per request, measured in this process through Django's
    test client with the server's settings (one thread, one persistent connection, no HTTP server)."""
    os.environ.update(env, DJANGO_SETTINGS_MODULE="project.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    measured = {}
    for label, endpoint in [*IN_PROCESS, *sorted_pages(deep)]:
        runs = []
        for _ in range(repeats + 1):  # the first one warms up
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                if endpoint.method == "POST":
                    response = client.post(endpoint.path, endpoint.body, content_type="application/json")
                else:
                    response = client.get(endpoint.path)
                elapsed = time.perf_counter() - started
            if response.status_code != 200 or b'"errors"' in response.content:
                sys.exit(f"{label} failed in-process: {response.status_code} {response.content[:500]!r}")
            runs.append((len(queries), elapsed * 1000, sum(float(q["time"]) for q in queries) * 1000))
        counts, times, sql_times = zip(*runs[1:])
        measured[label] = {
            "queries": max(counts), "ms": statistics.median(times), "sql_ms": statistics.median(sql_times)
        }
    connection.close()
    return measured


# --- Report


def print_report(results: dict, in_process: dict, concurrencies: list[int], duration: float) -> None:
    print(f"\nOver HTTP (daphne): {duration:g} s per run after {WARMUP_SECONDS:g} s of warm-up. "
          "CPU in % of one core (2 cores in all).\n")
    header = (f"{'endpoint':<9} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'SQL/req':>7}"
              f"   {'daphne':>6} {'pg':>5} {'client':>6}")
    print(header)
    print("-" * len(header))
    for concurrency in concurrencies:
        for name in [name for name in ("graphql", "plain", "faceted") if (name, concurrency) in results]:
            r = results[name, concurrency]
            server, db, client = (f"{c:.0f}%" for c in r["cpu"])
            failed = f"   {r['failures']} failed" if r["failures"] else ""
            print(
                f"{name:<9} {concurrency:>4} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p95']:>8.1f}"
                f" {in_process[name]['queries']:>7}   {server:>6} {db:>5} {client:>6}{failed}"
            )
    if all(("graphql", c) in results and ("plain", c) in results for c in concurrencies):
        print("\nGraphQL / plain req/s: " + ", ".join(
            f"{results['graphql', c]['rps'] / results['plain', c]['rps']:.2f} at concurrency {c}" for c in concurrencies
        ))
    print_in_process(in_process)


def print_in_process(in_process: dict) -> None:
    print("\nIn-process (Django test client, one persistent connection), medians:\n")
    header = f"{'request':<32} {'SQL/req':>7} {'ms/req':>8} {'SQL ms':>8}"
    print(header)
    print("-" * len(header))
    for label, r in in_process.items():
        print(f"{label:<32} {r['queries']:>7} {r['ms']:>8.1f} {r['sql_ms']:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per endpoint and concurrency")
    parser.add_argument("--concurrency", default="1,4,16", help="comma-separated numbers of client threads")
    parser.add_argument("--endpoints", default="graphql,plain,faceted", help="which to load over HTTP")
    parser.add_argument("--deep", type=int, default=50_000, help="how many items deep the sorted pages' deep page is")
    parser.add_argument("--in-process-only", action="store_true", help="skip the HTTP load")
    parser.add_argument("--tracing", action="store_true", help="compare tracing off and on (nothing else)")
    parser.add_argument("--rounds", type=int, default=3, help="with --tracing: runs of each, alternating")
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    endpoints = [e for e in (graphql_endpoint(), PLAIN, FACETED) if e.name in args.endpoints.split(",")]

    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    env = server_env(database_url)
    url = urlsplit(database_url)
    print(f"Database {url.hostname}:{url.port or 5432}{url.path}: migrating and seeding {args.products} products...")
    prepare_database(database_url, env, args.products)
    if args.tracing:
        return compare_tracing(env, [e for e in endpoints if e.name != "plain"], concurrencies, args.duration,
                               args.rounds)
    in_process = measure_in_process(env, deep=args.deep)
    if args.in_process_only:
        print_in_process(in_process)
        return

    port = free_port()
    with tempfile.NamedTemporaryFile("w+", prefix="bench-daphne-", suffix=".log") as log:
        server = None
        try:
            # -v 0 (in start_daphne): no access log, whose per-request write would cost both endpoints alike.
            server, _ = start_daphne(env, port=port, log=log)
            print(f"daphne on 127.0.0.1:{port} (pid {server.pid}).")
            check_same_page(port)
            results = {}
            for concurrency in concurrencies:
                for endpoint in endpoints:
                    print(f"  {endpoint.name}, {concurrency} client(s)...", flush=True)
                    results[endpoint.name, concurrency] = load(port, server.pid, endpoint, concurrency, args.duration)
        except Exception:  # show why, if the server is the cause
            log.seek(0)
            server_output = log.read().strip()
            if server_output:
                print(f"daphne's output:\n{server_output[-3000:]}", file=sys.stderr)
            raise
        finally:
            if server is not None:
                stop(server)
    print_report(results, in_process, concurrencies, args.duration)


class Collector:
    """An OTLP/HTTP collector that reads every export and drops it, answering 200 as a collector does."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        collector = self
        self.exports = self.bytes = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                collector.bytes += len(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                collector.exports += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def compare_tracing(env: dict, endpoints: list, concurrencies: list[int], duration: float, rounds: int) -> None:
    import tests.servers

    # The static files the servers serve, collected once here without the tests' time limit (a busy machine).
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env,
                   check=True)
    tests.servers._static_collected = True
    collector = Collector()
    traced = {**env, "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url, "OTEL_SERVICE_NAME": "bench"}
    runs: dict = {}
    for round_ in range(rounds):
        for mode, mode_env in (("off", env), ("on", traced)):
            port = free_port()
            server, _ = start_daphne(mode_env, port=port)
            try:
                fetch_page(port, graphql_endpoint())  # warm: the first request loads the schema
                for concurrency in concurrencies:
                    for endpoint in endpoints:
                        print(f"  round {round_ + 1}, tracing {mode}: {endpoint.name}, {concurrency} client(s)...",
                              flush=True)
                        runs.setdefault((endpoint.name, concurrency, mode), []).append(
                            load(port, server.pid, endpoint, concurrency, duration))
            finally:
                stop(server)
    print(f"\nTracing off vs on (OTLP/HTTP to a local collector: {collector.exports} exports, "
          f"{collector.bytes // 1024} KB), median of {rounds} rounds of {duration:g} s:\n")
    header = (f"{'endpoint':<9} {'conc':>4} {'off req/s':>9} {'on req/s':>9} {'off p50':>8} {'on p50':>8} "
              f"{'off CPU ms/req':>14} {'on CPU ms/req':>13} {'cost':>6}")
    print(header)
    print("-" * len(header))
    for concurrency in concurrencies:
        for endpoint in endpoints:
            off, on = (runs[endpoint.name, concurrency, mode] for mode in ("off", "on"))
            off_rps, on_rps = (statistics.median(r["rps"] for r in rs) for rs in (off, on))
            off_p50, on_p50 = (statistics.median(r["p50"] for r in rs) for rs in (off, on))
            # The server's CPU % of one core over the run, over its requests a second: CPU ms per request.
            off_cpu, on_cpu = (statistics.median(10 * r["cpu"][0] / max(r["rps"], 0.01) for r in rs)
                               for rs in (off, on))
            print(f"{endpoint.name:<9} {concurrency:>4} {off_rps:>9.1f} {on_rps:>9.1f} {off_p50:>8.1f} {on_p50:>8.1f} "
                  f"{off_cpu:>14.2f} {on_cpu:>13.2f} {100 * (on_cpu / off_cpu - 1):>5.1f}%")
    tracing_in_process(env, endpoints, collector, rounds)
    collector.server.shutdown()


def tracing_in_process(env: dict, endpoints: list, collector, rounds: int, block: int = 25) -> None:
    os.environ.update(env, DJANGO_SETTINGS_MODULE="project.settings")
    import django

    django.setup()
    from django.db import connections
    from django.test import Client
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from project.observability import tracing

    tracing.start(exporter=OTLPSpanExporter(endpoint=f"{collector.url}/v1/traces"))
    tracer = tracing._tracer
    client = Client(HTTP_HOST="127.0.0.1")
    cpu: dict = {}
    for _ in range(rounds * 4):
        for mode in ("off", "on"):
            tracing._tracer = tracer if mode == "on" else None
            for connection in connections.all(initialized_only=True):
                tracing._trace_sql(None, connection)
            for endpoint in endpoints:
                started = time.process_time()
                for _ in range(block):
                    response = client.post(endpoint.path, endpoint.body, content_type="application/json")
                    assert response.status_code == 200 and b'"errors"' not in response.content
                cpu.setdefault((endpoint.name, mode), []).append((time.process_time() - started) * 1000 / block)
    tracing._provider.force_flush()
    print(f"\nIn-process (Django test client), {rounds * 4} alternating blocks of {block} requests each, CPU time "
          f"of this process (the exporter's thread included), medians:\n")
    header = f"{'endpoint':<9} {'off CPU ms/req':>14} {'on CPU ms/req':>13} {'cost':>6}"
    print(header)
    print("-" * len(header))
    for endpoint in endpoints:
        off, on = (statistics.median(cpu[endpoint.name, mode]) for mode in ("off", "on"))
        print(f"{endpoint.name:<9} {off:>14.2f} {on:>13.2f} {100 * (on / off - 1):>5.1f}%")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("Interrupted; daphne stopped.")
