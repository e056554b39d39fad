"""Benchmark: the catalog page over HTTP under load, driven by wrk, on one daphne process and on two sharing a port.

Why: to see what the serving path (daphne, its request threads, PostgreSQL connections) does with concurrency
and with more processes, apart from the Python load client whose own cost was part of bench/catalog.py's
figures. Two servers in turn. With the response cache off (RESPONSE_CACHE_ENABLED=0, so every request misses):
the uncached GraphQL catalog page (bench/catalog.py's QUERY), the plain Django view of the same JSON (the floor of
the uncached path) and `{ __typename }`. With it on (the default, in Redis when REDIS_URL is set, shared by the
processes): the same catalog page asked again and again, answered from the cache ("cached"), and `{ __typename }`
on that server, the floor of anything GraphQL serves: a cached page cannot be cheaper.

How: migrate and seed a PostgreSQL catalog (--products, default 10,000), start 1 and then 2 daphne processes on
one listening socket (tests/servers.start_daphnes_on_one_port, as deploy/supervisord.conf runs them; DEBUG off,
CONN_MAX_AGE=60, --threads request threads each, access logs on, unmetered), check both endpoints return the same
page and that the cached page answers `extensions.cache: HIT` (the uncached one no HIT), then for each endpoint and number of clients run `wrk` (Debian's package) for 2 s of warm-up and --duration
seconds measured. Printed: successful req/s, p50 and p95 latency (wrk's, of every request), failures (non-2xx
answers and socket errors and timeouts; the timeout is 30 s), CPU of the daphne processes, PostgreSQL and wrk
(100% = one core), and the PostgreSQL connections the server held after the run. wrk, the servers and PostgreSQL
share this machine's cores.

    .venv/bin/python bench/serving.py [--products 10000] [--duration 8] [--concurrency 1,4,16,64] [--processes 1,2]
                                      [--threads 8] [--cache off,on]
"""
import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.catalog import (  # noqa: E402
    DEFAULT_DATABASE_URL, PLAIN_PATH, QUERY, check_same_page, cpu_seconds, postgres_pids, prepare_database, run_sql,
    server_env,
)
from tests.servers import start_daphnes_on_one_port, stop  # noqa: E402

WARMUP_SECONDS = 2
WRK_TIMEOUT = "30s"
ENDPOINTS = {  # name: (method, path, JSON body)
    "graphql": ("POST", "/graphql/", {"query": QUERY}),
    "plain": ("GET", PLAIN_PATH, None),
    "typename": ("POST", "/graphql/", {"query": "{ __typename }"}),
    "cached": ("POST", "/graphql/", {"query": QUERY}),
}
# Which endpoints each server runs: the response cache off (every request a miss), then on.
CACHE_ENDPOINTS = {"off": ("graphql", "plain", "typename"), "on": ("cached", "typename")}
# wrk's Lua: the request, and one machine-readable line at the end (latencies in microseconds).
SCRIPT = """
wrk.method = "{method}"
{body}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(95)))
end
"""


def wrk_script(directory: Path, name: str) -> Path:
    method, _, body = ENDPOINTS[name]
    lines = ""
    if body is not None:
        lines = (f'wrk.headers["Content-Type"] = "application/json"\n'
                 f"wrk.body = [==[{json.dumps(body)}]==]")
    path = directory / f"{name}.lua"
    path.write_text(SCRIPT.format(method=method, body=lines))
    return path


def wrk(base: str, name: str, script: Path, clients: int, seconds: float) -> dict:
    _, path, _ = ENDPOINTS[name]
    threads = min(2, clients)
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds:g}s", f"--timeout={WRK_TIMEOUT}", "-s", str(script),
         base + path],
        capture_output=True, text=True, check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    requests, duration, connect, read, write, status, timeout, p50, p95 = (int(x) for x in line.split()[1:])
    failures = connect + read + write + status + timeout
    return {"rps": (requests - status) / (duration / 1e6), "p50": p50 / 1000, "p95": p95 / 1000, "failures": failures}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def connections(database_url: str, name: str) -> int:
    return run_sql(database_url, "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name])[0][0]


def cache_outcome(base: str, name: str) -> str | None:
    """`extensions.cache` of one answer of this endpoint (None: the cache was not asked)."""
    method, path, body = ENDPOINTS[name]
    request = urllib.request.Request(base + path, json.dumps(body).encode() if body else None,
                                     {"Content-Type": "application/json"} if body else {}, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        sys.exit(f"{name} answered errors: {answer['errors']}")
    return (answer.get("extensions") or {}).get("cache")


def check_cache(base: str, cache: str) -> None:
    """Stop unless the cached page is served from the cache and the uncached one never is."""
    if cache == "on":
        cache_outcome(base, "cached")  # stores it, if not there yet
        outcomes = [cache_outcome(base, "cached") for _ in range(3)]
        if outcomes != ["HIT"] * 3:
            sys.exit(f"The cached page was not served from the cache: extensions.cache {outcomes}")
    else:
        outcomes = [cache_outcome(base, "graphql") for _ in range(3)]
        if "HIT" in outcomes:
            sys.exit(f"The uncached page was served from the cache: extensions.cache {outcomes}")
    print(f"  extensions.cache of the catalog page, asked 3 times: {outcomes}", flush=True)


def measure(base, pids, name, script, clients, seconds, database_url, database) -> dict:
    wrk(base, name, script, clients, WARMUP_SECONDS)
    before = cpu_seconds(pids), cpu_seconds(postgres_pids()), children_cpu()
    result = wrk(base, name, script, clients, seconds)
    after = cpu_seconds(pids), cpu_seconds(postgres_pids()), children_cpu()
    # The children's CPU also counts the daphne processes that exited in the meantime: none here.
    result["cpu"] = [100 * (b - a) / seconds for a, b in zip(before, after)]
    result["connections"] = connections(database_url, database)
    return result


def ratios(results: dict, top: tuple, bottom: tuple, concurrencies: list[int]) -> str:
    """top / bottom req/s at each number of clients both were measured at; keys without the clients."""
    return ", ".join(f"{results[(*top, c)]['rps'] / results[(*bottom, c)]['rps']:.2f} at {c}"
                     for c in concurrencies if (*top, c) in results and (*bottom, c) in results)


def print_table(results: dict, concurrencies: list[int], process_counts: list[int], seconds: float) -> None:
    print(f"\nwrk, {seconds:g} s per row after {WARMUP_SECONDS} s of warm-up; CPU in % of one core "
          f"({os.cpu_count()} cores in all, shared by wrk, daphne and PostgreSQL). cache: the server's "
          f"RESPONSE_CACHE_ENABLED.\n")
    header = (f"{'procs':>5} {'cache':>5} {'endpoint':<9} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
              f" {'failed':>6}   {'daphne':>6} {'pg':>5} {'wrk':>5} {'pg conns':>8}")
    print(header)
    print("-" * len(header))
    for processes in process_counts:
        for cache, names in CACHE_ENDPOINTS.items():
            for clients in concurrencies:
                for name in names:
                    r = results.get((processes, cache, name, clients))
                    if r is None:
                        continue
                    server, db, client = (f"{c:.0f}%" for c in r["cpu"])
                    print(f"{processes:>5} {cache:>5} {name:<9} {clients:>7} {r['rps']:>8.1f} {r['p50']:>8.1f}"
                          f" {r['p95']:>8.1f} {r['failures']:>6}   {server:>6} {db:>5} {client:>5}"
                          f" {r['connections']:>8}")
    print()
    for processes in process_counts:
        if line := ratios(results, (processes, "off", "graphql"), (processes, "off", "plain"), concurrencies):
            print(f"Uncached GraphQL / plain req/s, {processes} process(es): {line}")
        if line := ratios(results, (processes, "on", "cached"), (processes, "on", "typename"), concurrencies):
            print(f"Cached page / {{ __typename }} req/s, {processes} process(es): {line}")
    if len(process_counts) > 1:
        one, *more = process_counts
        for cache, names in CACHE_ENDPOINTS.items():
            for name in names:
                line = ", ".join(part for n in more if (part := ratios(
                    results, (n, cache, name), (one, cache, name), concurrencies)))
                if line:
                    print(f"{name} (cache {cache}): {more[-1]} processes / {one} req/s: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured per row")
    parser.add_argument("--concurrency", default="1,4,16,64", help="comma-separated numbers of wrk connections")
    parser.add_argument("--processes", default="1,2", help="comma-separated numbers of daphne processes")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), help="which to load")
    parser.add_argument("--cache", default="off,on", help="the servers to run: response cache off, on")
    parser.add_argument("--threads", type=int, default=8,
                        help="MAX_CONCURRENT_REQUESTS: request threads (at most as many connections) per process")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    process_counts = [int(n) for n in args.processes.split(",")]
    names = [name for name in ENDPOINTS if name in args.endpoints.split(",")]

    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    database = urlsplit(database_url).path.lstrip("/")
    env = {**server_env(database_url), "DJANGO_SETTINGS_MODULE": "project.settings",
           "MAX_CONCURRENT_REQUESTS": str(args.threads)}
    print(f"Database {database}: migrating and seeding {args.products} products...", flush=True)
    prepare_database(database_url, env, args.products)

    load_before = os.getloadavg()[0]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as directory:
        directory = Path(directory)
        scripts = {name: wrk_script(directory, name) for name in names}
        for processes, cache in itertools.product(process_counts, args.cache.split(",")):
            cache_names = [name for name in CACHE_ENDPOINTS[cache] if name in names]
            if not cache_names:
                continue
            logs = [directory / f"daphne-{processes}-{cache}-{index}.log" for index in range(processes)]
            servers, base = start_daphnes_on_one_port(
                {**env, "RESPONSE_CACHE_ENABLED": "1" if cache == "on" else "0"}, processes, logs)
            try:
                print(f"{processes} daphne process(es), response cache {cache}, on {base}.", flush=True)
                check_same_page(int(base.rsplit(":", 1)[1]))
                check_cache(base, cache)
                for clients in concurrencies:
                    for name in cache_names:
                        print(f"  {name}, {clients} client(s)...", flush=True)
                        results[processes, cache, name, clients] = measure(
                            base, [server.pid for server in servers], name, scripts[name], clients, args.duration,
                            database_url, database)
                if cache == "on":
                    check_cache(base, cache)  # still answered from the cache after the load
            finally:
                for server in servers:
                    stop(server)
            time.sleep(1)  # their PostgreSQL connections closed before the next count
    print(f"\nResponse cache in {'Redis (REDIS_URL), shared by the processes' if env.get('REDIS_URL') else 'each process memory'}.")
    print(f"\n{args.products} products; MAX_CONCURRENT_REQUESTS={args.threads}, CONN_MAX_AGE=60. The machine's load"
          f" average (1 min) was {load_before:.1f} before and {os.getloadavg()[0]:.1f} after: above the core count,"
          f" other work shared the cores.")
    print_table(results, concurrencies, process_counts, args.duration)


if __name__ == "__main__":
    main()
