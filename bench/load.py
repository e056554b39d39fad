"""`make load USERS=200`: bench/locustfile.py's shoppers against a local multi-process stack, and the summary.

The stack, as deployed but on this machine: PostgreSQL (a database of its own, --database-url, migrated and seeded
with --products products and the demo shipping methods; stock is made plentiful, so that the crowd measures
serving rather than selling out), Redis (its own key prefix: cache, channel layer, broker), two daphne processes
sharing one port (tests/servers.start_daphnes_on_one_port, as deploy/supervisord.conf runs them; DEBUG off,
CONN_MAX_AGE=60, MAX_CONCURRENT_REQUESTS=--threads each, access logs on), one `rundramatiq` worker, and Stripe's
fake (tests/fake_stripe.py) for the PaymentIntents checkout opens. Metrics are on in multi-process mode (a fresh
PROMETHEUS_MULTIPROC_DIR): after the run /metrics is scraped once and a few of its counters are printed, the
stack's own account of the same run. Locust (headless, one process) then runs --users shoppers, started at
--spawn-rate a second, for --duration seconds, and prints its summary per step. Everything shares this
machine's cores: Locust, the servers, the worker, PostgreSQL and Redis.

    .venv/bin/python bench/load.py [--users 200] [--duration 60] [--spawn-rate 20] [--products 1000]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import UNMETERED  # noqa: E402
from bench.catalog import prepare_database, run_sql  # noqa: E402
from tests import fake_stripe  # noqa: E402
from tests.servers import start_daphnes_on_one_port, start_worker, stop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
METRICS_TOKEN = "load-test-scrape-token"
# The locustfile's operations, registered so that /metrics labels them by name (others would be "other").
OPERATIONS = "CatalogPage,SearchPage,FacetedPage,ProductPage,ShippingMethods,CartCreate,CartLinesAdd,CartUpdate," \
             "CheckoutComplete,TrackOrder"
REPORTED = ("commerce_graphql_operations_total", "commerce_response_cache_lookups_total",
            "commerce_payment_webhooks_total", "commerce_jobs_total", "commerce_job_queue_depth")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=int, default=60, help="seconds, the ramp-up included")
    parser.add_argument("--spawn-rate", type=float, default=None, help="shoppers started a second (users/10)")
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--threads", default="16", help="MAX_CONCURRENT_REQUESTS of each web process")
    parser.add_argument("--database-url", default=os.environ.get(
        "LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/commerce_load"))
    parser.add_argument("--redis-url", default=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()

    stripe = fake_stripe.FakeStripe()
    work = Path(tempfile.mkdtemp(prefix="commerce-load-"))
    (work / "metrics").mkdir()
    env = {**os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
           "REDIS_KEY_PREFIX": f"load-{uuid.uuid4().hex[:8]}", "DEBUG": "0", "SECRET_KEY": "load-test-secret-key",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "CONN_MAX_AGE": "60", "MAX_CONCURRENT_REQUESTS": args.threads,
           "PAYMENT_GATEWAYS": "stripe", "STRIPE_SECRET_KEY": fake_stripe.SECRET_KEY,
           "STRIPE_WEBHOOK_SECRET": fake_stripe.WEBHOOK_SECRET, "STRIPE_API_BASE": stripe.base,
           "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"), "METRICS_TOKEN": METRICS_TOKEN,
           "METRICS_OPERATION_NAMES": OPERATIONS,
           "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT), **UNMETERED}
    processes = []
    try:
        print(f"Preparing {args.database_url} ({args.products} products)...", flush=True)
        prepare_database(args.database_url, env, args.products)
        subprocess.run([PYTHON, "manage.py", "seed_checkout"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        run_sql(args.database_url, "UPDATE catalog_productvariant SET stock = 1000000")
        processes.append(start_worker({**env, "LOG_LEVEL": "INFO"}, work / "worker.log"))  # it says when ready
        servers, base = start_daphnes_on_one_port(env, 2, [work / "web-1.log", work / "web-2.log"])
        processes.extend(servers)
        spawn_rate = args.spawn_rate or max(1.0, args.users / 10)
        print(f"2 daphne processes on {base}, 1 worker; {args.users} shoppers started at {spawn_rate:g}/s, "
              f"{args.duration} s in all. Logs in {work}.", flush=True)
        subprocess.run([PYTHON, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                        "--host", base, "-u", str(args.users), "-r", str(spawn_rate), "-t", f"{args.duration}s",
                        "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "20"],
                       cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, check=False)
        print_metrics(base)
    finally:
        for process in processes:
            stop(process)
        stripe.close()


def print_metrics(base: str) -> None:
    """The stack's own count of the run, from one scrape of /metrics (every process's values, added up)."""
    request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        lines = response.read().decode().splitlines()
    print("\n/metrics after the run:")
    for line in lines:
        if line.startswith(REPORTED) and not line.endswith(" 0.0"):
            print(f"  {line}")


if __name__ == "__main__":
    main()
