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

With --gateway (a list of GATEWAYS' ids, or `all`), the same server has every chosen gateway configured against
its fake (tests/fakes/) and, instead, the throughput rows run once per gateway (`checkoutComplete(gateway:)`),
gateways side by side at each buyer count. Each fake counts the requests it answers and the time it spends on
them (tests/fakes/server.py's `busy`): that share is printed apart, per order, and what remains of the mean
latency is our cost for that gateway. MTN MoMo's status polls are put off past the run (they would land in the
next gateway's rows); paying is not part of it (checkoutComplete opens the payment, the buyer pays later).

    .venv/bin/python bench/checkout.py [--duration 10] [--concurrency 1,4,16] [--buyers 200] [--units 10]
    .venv/bin/python bench/checkout.py --gateway all [--duration 5] [--concurrency 1,4,16]
"""
import argparse
import base64
import importlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import UNMETERED  # noqa: E402
from bench.catalog import prepare_database, run_sql  # noqa: E402
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
COMPLETE = """mutation ($token: String!, $gateway: String, $data: JSON) {
  checkoutComplete(cartToken: $token, gateway: $gateway, data: $data) {
  order { number total { amount } } errors { code } } }"""


@dataclass(frozen=True)
class Gateway:
    """A gateway as the bench runs it: its fake ("module:Class"), the setting pointing the gateway at the fake,
    its keys (from the fake's module, as its tests' gateway_fixture sets them) and the checkout's `data`."""
    id: str
    fake: str
    api_base_setting: str
    settings: Callable[[object], dict]
    data: dict | None = None

    def module(self):
        """The fake's module, or None while it does not exist yet (a gateway that lands later)."""
        name = self.fake.split(":")[0]
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                return None
            raise


GATEWAYS = (
    Gateway("stripe", "tests.fake_stripe:FakeStripe", "STRIPE_API_BASE",
            lambda m: {"STRIPE_SECRET_KEY": m.SECRET_KEY, "STRIPE_WEBHOOK_SECRET": m.WEBHOOK_SECRET}),
    Gateway("paypal", "tests.fakes.paypal:FakePayPal", "PAYPAL_API_BASE", lambda m: m.SETTINGS),
    Gateway("razorpay", "tests.fakes.razorpay:FakeRazorpay", "RAZORPAY_API_BASE", lambda m: m.SETTINGS),
    Gateway("paystack", "tests.fakes.paystack:FakePaystack", "PAYSTACK_API_BASE",
            lambda m: {"PAYSTACK_SECRET_KEY": m.SECRET_KEY, "PAYSTACK_PUBLIC_KEY": m.PUBLIC_KEY}),
    Gateway("flutterwave", "tests.fakes.flutterwave:FakeFlutterwave", "FLUTTERWAVE_API_BASE",
            lambda m: {"FLUTTERWAVE_SECRET_KEY": m.SECRET_KEY, "FLUTTERWAVE_PUBLIC_KEY": m.PUBLIC_KEY,
                       "FLUTTERWAVE_SECRET_HASH": m.SECRET_HASH,
                       "FLUTTERWAVE_REDIRECT_URL": "https://shop.example/paid"}),
    Gateway("mtn-momo", "tests.fakes.mtn_momo:FakeMtnMomo", "MTN_MOMO_API_BASE", lambda m: m.SETTINGS,
            data={"phone": "+256 772 123456"}),
)


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


def measure(base: str, store: Store, buyers: int, duration: float, gateway: Gateway | None = None):
    """Buyers looping for `duration`: (checkoutComplete's latencies in ms, sorted; failures; orders/s)."""
    latencies, failures, stop_at = [], [], time.monotonic() + duration
    lock = threading.Lock()
    variables = {"gateway": gateway.id, "data": gateway.data} if gateway else {}

    def buyer():
        while time.monotonic() < stop_at:
            token = store.ready_cart(base, store.variants)
            started = time.monotonic()
            status, body = post(base, COMPLETE, {"token": token, **variables})
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
    return sorted(x * 1000 for x in latencies), failures, len(latencies) / wall


def percentiles(ms: list[float]) -> tuple[float, float]:
    return (statistics.median(ms), ms[int(len(ms) * 0.95) - 1]) if ms else (0, 0)


def throughput(base: str, store: Store, buyers: int, duration: float) -> None:
    ms, failures, rate = measure(base, store, buyers, duration)
    p50, p95 = percentiles(ms)
    print(f"{buyers:>6} {rate:>9.1f} {p50:>8.1f} {p95:>8.1f} {len(ms):>7} {len(failures):>6}")


GATEWAY_HEADER = (f"{'gateway':<12} {'buyers':>6} {'orders/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} | "
                  f"{'fake calls':>10} {'fake ms':>8} | {'ours ms':>8} {'orders':>7} {'failed':>6}")


def gateway_row(base: str, store: Store, gateway: Gateway, fake, buyers: int, duration: float) -> None:
    """One gateway at one buyer count; the fake's requests and time are per order, and `ours` is the mean
    latency without them."""
    calls_before, busy_before = fake.busy
    ms, failures, rate = measure(base, store, buyers, duration, gateway)
    calls, busy = fake.busy[0] - calls_before, fake.busy[1] - busy_before
    p50, p95 = percentiles(ms)
    orders = max(len(ms), 1)
    mean, fake_ms = (statistics.fmean(ms) if ms else 0), busy * 1000 / orders
    print(f"{gateway.id:<12} {buyers:>6} {rate:>9.1f} {p50:>8.1f} {p95:>8.1f} {mean:>8.1f} | "
          f"{calls / orders:>10.1f} {fake_ms:>8.1f} | {mean - fake_ms:>8.1f} {len(ms):>7} {len(failures):>6}")


def chosen_gateways(names: str) -> list[Gateway]:
    """`all`: every gateway whose fake exists; else the ids named, each of which must have one."""
    known = {gateway.id: gateway for gateway in GATEWAYS}
    if names == "all":
        return [gateway for gateway in GATEWAYS if gateway.module()]
    chosen = []
    for name in names.split(","):
        if name not in known:
            sys.exit(f"--gateway: unknown {name!r} (known: {', '.join(known)}, or all)")
        if not known[name].module():
            sys.exit(f"--gateway: {name}'s fake ({known[name].fake}) does not exist yet")
        chosen.append(known[name])
    return chosen


def start_fakes(gateways: list[Gateway]) -> tuple[dict, dict]:
    """({gateway id: its running fake}, the settings pointing each gateway at its fake, as environment strings)."""
    fakes, env = {}, {"PAYMENT_GATEWAYS": ",".join(gateway.id for gateway in gateways)}
    for gateway in gateways:
        module = gateway.module()
        fake = fakes[gateway.id] = getattr(module, gateway.fake.split(":")[1])()
        env.update({name: str(value) for name, value in gateway.settings(module).items()},
                   **{gateway.api_base_setting: fake.base})
    return fakes, env


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
    parser.add_argument("--duration", type=float, default=None, help="seconds per row (10; with --gateway 5)")
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--units", type=int, default=10)
    parser.add_argument("--server-concurrency", default="32", help="MAX_CONCURRENT_REQUESTS of the server")
    parser.add_argument("--gateway", help="compare gateways against their fakes: ids from GATEWAYS, or all")
    args = parser.parse_args()

    gateways = chosen_gateways(args.gateway) if args.gateway else chosen_gateways("stripe")
    fakes, payments_env = start_fakes(gateways)  # checkout opens a payment: answered locally, as in the tests
    duration = args.duration or (5 if args.gateway else 10)
    env = {**os.environ, "DATABASE_URL": args.database_url, **payments_env, "DEBUG": "0",
           "SECRET_KEY": "bench-secret-key-for-hs256-signing",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "REDIS_URL": "", "CONN_MAX_AGE": "0",
           "MAX_CONCURRENT_REQUESTS": args.server_concurrency, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
           "PAYMENT_POLL_FIRST_DELAY_SECONDS": "3600", **UNMETERED}
    try:
        prepare_database(args.database_url, env, 200)
        subprocess.run([PYTHON, "manage.py", "seed_checkout"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        run_sql(args.database_url, "UPDATE catalog_productvariant SET stock = 1000000")
        server, base = start_daphne(env, log=open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "wb"))
        try:
            store = Store(base)
            print(f"one daphne process, MAX_CONCURRENT_REQUESTS={args.server_concurrency}, {duration:g} s per row")
            if args.gateway:
                print(GATEWAY_HEADER)
                for buyers in (int(c) for c in args.concurrency.split(",")):
                    for gateway in gateways:
                        gateway_row(base, store, gateway, fakes[gateway.id], buyers, duration)
                return
            print(f"{'buyers':>6} {'orders/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'orders':>7} {'failed':>6}")
            for buyers in (int(c) for c in args.concurrency.split(",")):
                throughput(base, store, buyers, duration)
            race(base, store, args.database_url, args.buyers, args.units)
        finally:
            stop(server)
    finally:
        for fake in fakes.values():
            fake.close()


if __name__ == "__main__":
    main()
