"""Benchmark: checkout on PostgreSQL, as buyers drive it over HTTP.

Why: checkout is the write path where money and stock meet; this measures how many orders per second one
daphne process places, how long `checkoutComplete` takes at 1, 4 and 16 concurrent buyers, and what happens
when 200 buyers race for the last 10 units.

How: create, migrate and seed a PostgreSQL database (200 products, shipping methods), serve it with one daphne
whose Stripe is the tests' local fake (tests/fake_stripe.py: checkout opens a PaymentIntent over HTTP)
process (DEBUG off, embedded jobs, MAX_CONCURRENT_REQUESTS bounding the server's concurrency so that 200
buyers do not become 200 database connections), then:
  - throughput: N buyer threads each loop for --duration seconds: cartCreate with two lines, cartUpdate with
    an address and a shipping method, checkoutComplete; the latency printed is checkoutComplete's alone;
  - the race: 200 carts of one unit of a variant with stock 10, then 200 threads complete them at once.

    .venv/bin/python bench/checkout.py [--duration 10] [--concurrency 1,4,16] [--buyers 200] [--units 10]
"""
import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import UNMETERED  # noqa: E402
from bench.catalog import prepare_database, run_sql  # noqa: E402
from tests.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe  # noqa: E402
from tests.servers import start_daphne, stop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commerce_bench_checkout"
ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "line1": "1 Way", "city": "Berlin", "postalCode": "10115",
           "countryCode": "DE"}
CREATE = """mutation ($lines: [CartLineInput!]) { cartCreate(input: {lines: $lines, email: "buyer@example.com"}) {
  cart { token } errors { code } } }"""
DETAILS = """mutation ($token: String!, $method: ID!, $address: AddressInput!) {
  cartUpdate(cartToken: $token, input: {shippingAddress: $address, shippingMethodId: $method}) { errors { code } } }"""
COMPLETE = """mutation ($token: String!) { checkoutComplete(cartToken: $token) {
  order { number total { amount } } errors { code } } }"""


def post(base: str, query: str, variables: dict) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base}/graphql/", json.dumps({"query": query, "variables": variables}).encode(),
                                     {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


def data(base: str, query: str, variables: dict) -> dict:
    status, body = post(base, query, variables)
    if status != 200 or "errors" in body:
        sys.exit(f"{status}: {body}")
    (payload,) = body["data"].values()
    return payload


class Store:
    def __init__(self, base: str):
        _, body = post(base, "{ products(first: 2) { edges { node { variants { id } } } } shippingMethods { id } }", {})
        self.variants = [edge["node"]["variants"][0]["id"] for edge in body["data"]["products"]["edges"]]
        self.method = body["data"]["shippingMethods"][0]["id"]

    def ready_cart(self, base: str, variants: list[str]) -> str:
        cart = data(base, CREATE, {"lines": [{"variantId": v, "quantity": 1} for v in variants]})
        if cart["errors"]:
            sys.exit(f"cartCreate: {cart['errors']}")
        token = cart["cart"]["token"]
        data(base, DETAILS, {"token": token, "method": self.method, "address": ADDRESS})
        return token


def throughput(base: str, store: Store, buyers: int, duration: float) -> None:
    latencies, failures, stop_at = [], [], time.monotonic() + duration
    lock = threading.Lock()

    def buyer():
        while time.monotonic() < stop_at:
            token = store.ready_cart(base, store.variants)
            started = time.monotonic()
            status, body = post(base, COMPLETE, {"token": token})
            elapsed = time.monotonic() - started
            ok = status == 200 and "errors" not in body and body["data"]["checkoutComplete"]["order"]
            with lock:
                (latencies if ok else failures).append(elapsed if ok else (status, body))

    began = time.monotonic()
    threads = [threading.Thread(target=buyer) for _ in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    if failures:
        print("  first failure:", str(failures[0])[:400])
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[int(len(ms) * 0.95) - 1] if ms else 0
    print(f"{buyers:>6} {len(latencies) / wall:>9.1f} {statistics.median(ms) if ms else 0:>8.1f} {p95:>8.1f} "
          f"{len(latencies):>7} {len(failures):>6}")


def race(base: str, store: Store, database_url: str, buyers: int, units: int) -> None:
    variant = store.variants[1]
    pk = int(base64.b64decode(variant).decode().split(":")[1])
    run_sql(database_url, "UPDATE catalog_productvariant SET stock = %s WHERE id = %s", [1_000_000, pk])
    with ThreadPoolExecutor(max_workers=16) as pool:
        tokens = list(pool.map(lambda _: store.ready_cart(base, [variant]), range(buyers)))
    run_sql(database_url, "UPDATE catalog_productvariant SET stock = %s WHERE id = %s", [units, pk])
    barrier = threading.Barrier(buyers)

    def buy(token):
        barrier.wait()
        return post(base, COMPLETE, {"token": token})

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=buyers) as pool:
        answers = list(pool.map(buy, tokens))
    wall = time.monotonic() - began
    statuses = [status for status, _ in answers]
    payloads = [body["data"]["checkoutComplete"] for status, body in answers if status == 200 and "data" in body]
    placed = sum(1 for p in payloads if p["order"])
    codes = sorted({e["code"] for p in payloads for e in p["errors"]})
    stock = run_sql(database_url, "SELECT stock FROM catalog_productvariant WHERE id = %s", [pk])[0][0]
    print(f"race: {buyers} buyers, {units} units: {placed} orders, refusals {codes}, stock left {stock}, "
          f"non-200 answers {sum(s != 200 for s in statuses)}, all answered in {wall:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--units", type=int, default=10)
    parser.add_argument("--server-concurrency", default="32", help="MAX_CONCURRENT_REQUESTS of the server")
    args = parser.parse_args()

    stripe = FakeStripe()  # checkout opens a PaymentIntent: answered locally, as in the tests
    env = {**os.environ, "DATABASE_URL": args.database_url, "STRIPE_SECRET_KEY": SECRET_KEY,
           "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": stripe.base, "DEBUG": "0", "SECRET_KEY": "bench-secret-key-for-hs256-signing",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "REDIS_URL": "", "CONN_MAX_AGE": "0",
           "MAX_CONCURRENT_REQUESTS": args.server_concurrency, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
           **UNMETERED}
    prepare_database(args.database_url, env, 200)
    subprocess.run([PYTHON, "manage.py", "seed_checkout"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    run_sql(args.database_url, "UPDATE catalog_productvariant SET stock = 1000000")
    server, base = start_daphne(env, log=open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "wb"))
    try:
        store = Store(base)
        print(f"one daphne process, MAX_CONCURRENT_REQUESTS={args.server_concurrency}, {args.duration:.0f} s per row")
        print(f"{'buyers':>6} {'orders/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'orders':>7} {'failed':>6}")
        for buyers in (int(c) for c in args.concurrency.split(",")):
            throughput(base, store, buyers, args.duration)
        race(base, store, args.database_url, args.buyers, args.units)
    finally:
        stop(server)
        stripe.close()


if __name__ == "__main__":
    main()
