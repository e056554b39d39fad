"""Benchmark: the admin's dashboard (commerce.orders.reports.dashboard rendered by CommerceAdminSite.index) on
PostgreSQL as orders pile up.

Why: every figure on it is an aggregate over orders; the query count must stay the same and the page must stay
fast however many orders the shop has taken (the issue's target: p50 at most 300 ms at 1,000,000 orders).

How: create and migrate a PostgreSQL database, then for each size in --orders (ascending) top it up to that many
orders with `manage.py seed_orders` (spread over --days days, with lines, daily counts and customers), VACUUM
ANALYZE, and GET /admin/ --repeat times as a signed-in superuser through Django's test client in a separate
process (DEBUG off): the page's SQL count, the time its SQL took, and the page's p50 and p95; "cold" is the first
request, which computes the rollup of the past 59 days (commerce.orders.rollup) that the others read.

    .venv/bin/python bench/dashboard.py [--orders 1000,100000,1000000] [--days 365] [--repeat 30]
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.catalog import run_sql  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commerce_bench_dashboard"

# Run in a child process with the bench database's settings: GET /admin/ `repeat` times, print one JSON line.
MEASURE = """
import json, statistics, sys, time
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from commerce.accounts.models import User
from commerce.orders.models import Order

repeat = int(sys.argv[1])
staff, _ = User.objects.get_or_create(email="bench-staff@example.com", defaults={"is_staff": True, "is_superuser": True})
client = Client()
client.force_login(staff)
started = time.perf_counter()
client.get("/admin/", secure=True)  # cold: computes the past days' rollup (and compiles templates, connects)
first = (time.perf_counter() - started) * 1000
timings, sql = [], []
for _ in range(repeat):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get("/admin/", secure=True)
        timings.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200 and b'id="sales-chart"' in response.content, response.status_code
    sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
timings.sort()
print(json.dumps({"orders": Order.objects.count(), "queries": len(queries.captured_queries),
                  "p50": statistics.median(timings), "p95": timings[int(len(timings) * 0.95) - 1],
                  "sql_p50": statistics.median(sql), "first": first}))
"""


def prepare(database_url: str, env: dict) -> None:
    url = database_url.rsplit("/", 1)
    name, server = url[1], f"{url[0]}/postgres"
    if not run_sql(server, "SELECT 1 FROM pg_database WHERE datname = %s", [name]):
        run_sql(server, f'CREATE DATABASE "{name}"')
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    # DEBUG off: pages ask for the hashed static names, which the manifest collectstatic writes provides
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", default="1000,100000", help="Comma-separated sizes, ascending.")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": "", "DEBUG": "0",
           "SECRET_KEY": "bench-dashboard", "ALLOWED_HOSTS": "testserver"}
    prepare(args.database_url, env)
    print(f"{'orders':>10} {'SQL':>4} {'SQL ms p50':>10} {'page p50 ms':>11} {'page p95 ms':>11} {'cold ms':>8}")
    for size in (int(n) for n in args.orders.split(",")):
        have = int(run_sql(args.database_url, "SELECT count(*) FROM orders_order")[0][0])
        if size > have:
            subprocess.run([PYTHON, "manage.py", "seed_orders", "--orders", str(size - have), "--days", str(args.days)],
                           cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        # planner statistics, and the visibility map an index-only scan needs (autovacuum would, later)
        run_sql(args.database_url, "VACUUM ANALYZE")
        measured = subprocess.run([PYTHON, "-c", MEASURE, str(args.repeat)], cwd=ROOT, check=True, text=True,
                                  env={**env, "DJANGO_SETTINGS_MODULE": "project.settings"}, capture_output=True)
        row = json.loads(measured.stdout.strip().splitlines()[-1])
        print(f"{row['orders']:>10,} {row['queries']:>4} {row['sql_p50']:>10.1f} {row['p50']:>11.1f} {row['p95']:>11.1f} {row['first']:>8.0f}",
              flush=True)


if __name__ == "__main__":
    main()
