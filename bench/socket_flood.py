"""Benchmark: a flood of websockets from one address, and a plain query's latency meanwhile.

Why: 1,500 sockets from one address stalled `{ shop { name } }` to 7-10 s, since nothing capped them. The caps
(graph/transport/socket_caps.py) refuse the handshake past GRAPHQL_WS_MAX_SOCKETS_PER_IP and past the address's
connect bucket; this measures what the server's other clients see while one address floods it, with the caps off
and on.

How: one daphne (project.serve) on PostgreSQL and the Redis layer, behind a "proxy" (TRUSTED_PROXY_HOPS=1, so
the flood and the prober are two addresses by X-Forwarded-For, from this one machine). FLOOD sockets from
203.0.113.66, opened by client processes separate from the server and from the prober: each socket connects,
sends connection_init and holds; a refused or dropped one tries again after a second, as a reconnecting client
does. Meanwhile this process sends `{ shop { name } }` over HTTP from 198.51.100.1, one after another, and
prints p50/p95/max, with how many flood sockets were open and how many handshakes were refused. Throttling is
off (bench.UNMETERED, minus the socket exemption) so that only the socket caps act.

    .venv/bin/python bench/socket_flood.py [--sockets 1500] [--clients 3] [--seconds 20]
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import UNMETERED  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commerce_bench_flood"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
FLOODER, PROBER = "203.0.113.66", "198.51.100.1"
QUERY = {"query": "{ shop { name } }"}


def server_env(database_url: str, redis_url: str, caps: bool) -> dict:
    metering = {key: value for key, value in UNMETERED.items() if key != "GRAPHQL_WS_UNCAPPED_NETWORKS"}
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": "bench-flood",
           "DEBUG": "0", "SECRET_KEY": "bench-flood-secret-key", "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "DJANGO_SETTINGS_MODULE": "project.settings", "LOG_LEVEL": "WARNING",
           "TRUSTED_PROXY_HOPS": "1", "GRAPHQL_WS_INIT_TIMEOUT_SECONDS": "60", **metering}
    if not caps:
        env.update(GRAPHQL_WS_MAX_SOCKETS_PER_IP="0", GRAPHQL_WS_MAX_SOCKETS_PER_USER="0", GRAPHQL_WS_CONNECT_BURST="0")
    return env


def prepare(database_url: str, env: dict) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2

    url = urlsplit(database_url)
    name = url.path.lstrip("/")
    connection = psycopg2.connect(urlunsplit(url._replace(path="/postgres")))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)


def start_server(env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "project.serve", "-v", "0", "-b", "127.0.0.1", "-p", str(port),
                                "project.asgi:application"], cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("the server did not start")


def flood(base: str, sockets: int, seconds: float, counts) -> None:
    """One client process: `sockets` sockets from FLOODER, each reopened a second after it is refused or dropped;
    adds to counts[0] the sockets open at the end and to counts[1] the handshakes refused."""
    open_now, refused = 0, 0

    async def hold(stop_at: float):
        nonlocal open_now, refused
        while time.monotonic() < stop_at:
            try:
                async with websockets.connect(base.replace("http", "ws") + "/graphql/", open_timeout=30,
                                              subprotocols=["graphql-transport-ws"],
                                              additional_headers={"X-Forwarded-For": FLOODER}) as ws:
                    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
                    await asyncio.wait_for(ws.recv(), 30)
                    open_now += 1
                    try:
                        await asyncio.wait_for(ws.wait_closed(), max(0.1, stop_at - time.monotonic()))
                    except asyncio.TimeoutError:
                        return True
                    finally:
                        open_now -= 1
            except websockets.InvalidStatus:
                refused += 1
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException):
                pass
            await asyncio.sleep(1)
        return False

    async def main():
        stop_at = time.monotonic() + seconds
        held = await asyncio.gather(*(hold(stop_at) for _ in range(sockets)))
        with counts.get_lock():
            counts[0] += sum(held)
            counts[1] += refused

    asyncio.run(main())


def probe(base: str, seconds: float) -> list[float]:
    """`{ shop { name } }` from PROBER, one after another for `seconds`; each latency in ms."""
    latencies = []
    with httpx.Client(headers={"X-Forwarded-For": PROBER}, timeout=30) as client:
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            response = client.post(f"{base}/graphql/", json=QUERY)
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text[:300]
            time.sleep(0.02)
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def run(env: dict, port: int, sockets: int, clients: int, seconds: float, label: str) -> None:
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        quiet = probe(base, 3)
        counts = multiprocessing.Array("i", 2)
        crowd = [multiprocessing.Process(target=flood, args=(base, sockets // clients, seconds + 5, counts))
                 for _ in range(clients)]
        for process in crowd:
            process.start()
        time.sleep(3)  # the flood under way
        during = probe(base, seconds)
        for process in crowd:
            process.join(timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{label}: {sockets} sockets from one address, {clients} client processes, {seconds:.0f} s")
    print(f"  quiet  `{{ shop {{ name }} }}`: p50 {statistics.median(quiet):.1f} ms, p95 {percentile(quiet, 0.95):.1f} ms")
    print(f"  flood  `{{ shop {{ name }} }}`: p50 {statistics.median(during):.1f} ms, p95 {percentile(during, 0.95):.1f} ms,"
          f" max {max(during):.1f} ms ({len(during)} queries)")
    print(f"  flood sockets open at the end: {counts[0]}, handshakes refused: {counts[1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--port", type=int, default=18931)
    parser.add_argument("--only", choices=["off", "on"], help="run one configuration only")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    prepare(database_url, server_env(database_url, redis_url, caps=True))
    for caps in (False, True):
        if args.only in (None, "on" if caps else "off"):
            run(server_env(database_url, redis_url, caps), args.port, args.sockets, args.clients, args.seconds,
                "caps ON (defaults)" if caps else "caps OFF")


if __name__ == "__main__":
    main()
