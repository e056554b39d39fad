"""Benchmark: live order status, from a commit in one process to the sockets of another.

Why: the realtime feature promises that an order-tracking screen sees a change the moment it commits, whoever
made it; this measures how fast, how many sockets one daphne process holds, and whether anything is lost.

How: create and migrate a PostgreSQL database with N guest orders, serve it with one daphne process on the
Redis channel layer, open N websockets (one per order, as tracking screens do) that subscribe to
`orderUpdated(id, token)` and wait for their first message (connect time). Then this process, a different one
from the server, makes one change per order through commerce's services (an OrderEvent, announced on commit)
and each socket records when the change arrives: latency is commit to delivery, on this machine's one clock.
Last, one subscriber alone receives 50 changes one after another. Prints p50/p95/max latencies, messages
lost, connect time, and the server's resident memory.

The broadcast scenario (--broadcast 1000,5000): N staff sockets on `ordersUpdated`, opened by --client-processes
processes apart from this one and the server (one Python process is itself too slow to read 5,000 sockets), then
K changes (--changes, one a second): each a staff `orderCancel` over HTTP, timed from just before its request to
its arrival on every socket (one monotonic clock for every process on this machine). A first change, untimed,
shows which sockets joined. Printed: p50/p95/max over the N x K arrivals, messages lost (of the joined sockets;
sockets that failed to open are reported apart), the server's RSS.

    .venv/bin/python bench/realtime.py [--subscribers 1000,2000] [--connect-rate 200]
    .venv/bin/python bench/realtime.py --broadcast 1000,5000 [--changes 5] [--runs 10] [--client-processes 4]
"""
import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import UNCAPPED, UNMETERED  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commerce_bench_realtime"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
SUBSCRIBE = "subscription ($id: ID!, $t: String) { orderUpdated(id: $id, token: $t) { event { id type } } }"


def configure(database_url: str, redis_url: str, prefix: str) -> dict:
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix, "DEBUG": "0",
           "SECRET_KEY": "bench-realtime-secret-key", "ALLOWED_HOSTS": "127.0.0.1,localhost", "CONN_MAX_AGE": "0",
           "DJANGO_SETTINGS_MODULE": "project.settings", "LOG_LEVEL": "WARNING", "STRIPE_SECRET_KEY": "sk_unused",
           "STRIPE_WEBHOOK_SECRET": "whsec_unused",
           "GRAPHQL_WS_INIT_TIMEOUT_SECONDS": "60", **UNMETERED, **UNCAPPED}
    os.environ.update(env)
    import django

    django.setup()
    return {**os.environ, **env}


def prepare(database_url: str, env: dict, orders: int) -> list:
    import subprocess

    from bench.catalog import run_sql
    from urllib.parse import urlsplit, urlunsplit

    url = urlsplit(database_url)
    server = urlunsplit(url._replace(path="/postgres"))
    name = url.path.lstrip("/")
    if not run_sql(server, "SELECT 1 FROM pg_database WHERE datname = %s", [name]):
        run_sql(server, f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    from decimal import Decimal

    from commerce.orders.models import Order, OrderEvent

    have = Order.objects.count()
    if have < orders:
        created = Order.objects.bulk_create(
            Order(email=f"guest{i}@example.com", currency="USD", subtotal=Decimal("10.00"), total=Decimal("10.00"))
            for i in range(orders - have))
        OrderEvent.objects.bulk_create(OrderEvent(order=o, type="PLACED", status="UNPAID", payment_status="NOT_PAID")
                                       for o in created)
    return list(Order.objects.order_by("pk")[:orders])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def change_orders(orders, committed: dict, pause: float = 0.0) -> None:
    """One NOTE event per order, each in its own transaction; the commit time of each, by event id."""
    from django.db import transaction

    from commerce.orders.models import OrderEventType
    from commerce.orders.services import record_event

    for order in orders:
        with transaction.atomic():
            event = record_event(order, OrderEventType.NOTE, message="bench")
        committed[event.pk] = time.monotonic()  # on_commit has run: the publisher sent it
        if pause:
            time.sleep(pause)


async def open_sockets(base: str, orders, received: dict, refused: list) -> tuple[list, float]:
    async def track(order, ready: asyncio.Event):
        try:
            return await subscribe(order, ready)
        except Exception as error:  # a socket that failed counts as refused; the run goes on
            refused.append(repr(error))
        finally:
            ready.set()

    async def subscribe(order, ready: asyncio.Event):
        ws = await websockets.connect(base.replace("http", "ws") + "/graphql/", subprotocols=["graphql-transport-ws"],
                                      open_timeout=120, max_queue=None)
        sockets.append(ws)
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": SUBSCRIBE, "variables": {"id": _gid(order), "t": order.token}}}))
        first = json.loads(await ws.recv())  # the current state, or why the subscription was refused
        if first.get("type") != "next" or first["payload"].get("errors"):
            refused.append(first)
        ready.set()
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "next":
                received[_event_pk(message["payload"]["data"]["orderUpdated"]["event"]["id"])] = time.monotonic()
        return ws

    started = time.monotonic()
    sockets.clear()
    readies = [asyncio.Event() for _ in orders]
    tasks = []
    for order, ready in zip(orders, readies):
        tasks.append(asyncio.create_task(track(order, ready)))
        await asyncio.sleep(1 / CONNECT_RATE)  # a crowd arriving, not one instant
    await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), 300)
    return tasks, time.monotonic() - started


sockets: list = []  # the open websockets of the running scenario
CONNECT_RATE = 200  # new sockets a second (--connect-rate)


def _gid(order) -> str:
    from strawberry import relay

    return relay.to_base64("Order", order.pk)


def _event_pk(global_id: str) -> int:
    import base64

    return int(base64.b64decode(global_id).decode().split(":")[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(base: str, pid: int, orders, label: str, *, changes_each: int = 1, pause: float = 0.0) -> None:
    received: dict[int, float] = {}
    committed: dict[int, float] = {}
    refused: list = []

    async def scenario():
        tasks, connect_seconds = await open_sockets(base, orders, received, refused)
        memory = rss_mb(pid)
        started = time.monotonic()
        await asyncio.to_thread(change_orders, list(orders) * changes_each, committed, pause)
        rate = len(committed) / (time.monotonic() - started)
        deadline = time.monotonic() + 30
        while len([e for e in committed if e in received]) < len(committed) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)  # leave as screens do
        for task in tasks:
            task.cancel()
        return connect_seconds, memory, rate

    connect_seconds, memory, rate = asyncio.run(scenario())
    latencies = [(received[e] - t) * 1000 for e, t in committed.items() if e in received]
    lost = len(committed) - len(latencies)
    if lost and os.environ.get("BENCH_DEBUG"):
        print("lost events:", sorted(e for e in committed if e not in received)[:10], "of", min(committed), "..")
    print(f"{label:>24} {len(committed):>7} {statistics.median(latencies) if latencies else 0:>8.1f} "
          f"{percentile(latencies, 0.95):>8.1f} {max(latencies, default=0):>8.1f} {lost:>5} {connect_seconds:>9.1f} "
          f"{memory:>8.0f} {rate:>9.0f}" + (f"  {len(refused)} subscriptions refused: {refused[0]}" if refused else ""))


BROADCAST = "subscription { ordersUpdated { order { number status } event { id type } } }"


def broadcast_client(base: str, token: str, count: int, rate: float, pipe) -> None:
    """One client process: `count` staff sockets on `ordersUpdated`; reports when they are open, and then, when
    asked, every arrival as (order number, monotonic time) per socket."""
    arrivals: list[list] = [[] for _ in range(count)]
    failures: list[str] = []

    async def socket(index: int, opened: asyncio.Event, stop: asyncio.Event):
        try:
            async with websockets.connect(base.replace("http", "ws") + "/graphql/", open_timeout=120, max_queue=None,
                                          subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
                await ws.recv()
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": BROADCAST}}))
                opened.set()
                received = arrivals[index]
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), 0.5)
                    except asyncio.TimeoutError:
                        continue
                    at = time.monotonic()
                    message = json.loads(raw)
                    if message.get("type") == "next" and "data" in message["payload"]:
                        received.append((message["payload"]["data"]["ordersUpdated"]["order"]["number"], at))
                    else:
                        failures.append(raw[:200])
        except Exception as error:
            failures.append(repr(error))
        finally:
            opened.set()

    async def run():
        stop = asyncio.Event()
        openings = [asyncio.Event() for _ in range(count)]
        tasks = []
        for index, opened in enumerate(openings):
            tasks.append(asyncio.create_task(socket(index, opened, stop)))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*(opened.wait() for opened in openings))
        pipe.send("open")
        await asyncio.to_thread(pipe.recv)  # "report"
        stop.set()
        await asyncio.gather(*tasks)
        pipe.send((arrivals, failures))

    asyncio.run(run())


def broadcast(base: str, pid: int, staff_token: str, sockets: int, changes: int, processes: int) -> dict:
    """One run: `sockets` staff screens across `processes` client processes, `changes` cancellations timed."""
    import multiprocessing

    from commerce.orders.models import Order, OrderEvent
    from decimal import Decimal

    orders = Order.objects.bulk_create(
        Order(email=f"broadcast{i}@example.com", currency="USD", subtotal=Decimal("10.00"), total=Decimal("10.00"))
        for i in range(changes + 1))
    OrderEvent.objects.bulk_create(OrderEvent(order=o, type="PLACED", status="UNPAID", payment_status="NOT_PAID")
                                   for o in orders)
    context = multiprocessing.get_context("spawn")
    pipes, children = [], []
    for n in range(processes):
        parent, child = context.Pipe()
        share = sockets // processes + (n < sockets % processes)
        children.append(context.Process(target=broadcast_client,
                                        args=(base, staff_token, share, CONNECT_RATE / processes, child)))
        children[-1].start()
        pipes.append(parent)
    for pipe in pipes:
        if pipe.recv() != "open":
            raise RuntimeError("a client process failed")
    import httpx

    answered: list[float] = []

    def cancel(order) -> float:
        started = time.monotonic()
        body = httpx.post(f"{base}/graphql/", timeout=30, headers={"Authorization": f"Bearer {staff_token}"}, json={
            "query": "mutation ($id: ID!) { orderCancel(id: $id) { errors { code } } }", "variables": {"id": _gid(order)}})
        assert body.json()["data"]["orderCancel"]["errors"] == [], body.text
        answered.append((time.monotonic() - started) * 1000)
        return started

    cancel(orders[0])  # every socket has joined once this one arrives everywhere (waited for below)
    time.sleep(1.0)
    requested = {}
    for order in orders[1:]:
        requested[str(order.pk)] = cancel(order)
        time.sleep(1.0)
    time.sleep(2.0)
    memory = rss_mb(pid)
    arrivals, failures = [], []
    for pipe in pipes:
        pipe.send("report")
        got, failed = pipe.recv()
        arrivals += got
        failures += failed
    for child in children:
        child.join(30)
    latencies = [(at - requested[number]) * 1000 for received in arrivals for number, at in received
                 if number in requested]
    joined = sum(1 for received in arrivals if any(n == str(orders[0].pk) for n, _ in received))
    return {"latencies": latencies, "lost": joined * changes - len(latencies), "rss": memory,
            "failures": failures, "answered": max(answered), "warm": joined}


def staff_token() -> str:
    from commerce.accounts import tokens
    from commerce.accounts.models import User

    staff = User.objects.filter(email="bench-staff@example.com").first() or User.objects.create_user(
        "bench-staff@example.com", "a bench staff passphrase", is_staff=True)
    return tokens.sign_in(staff).access


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--subscribers", default="1000,2000")
    parser.add_argument("--connect-rate", type=int, default=200, help="new sockets a second")
    parser.add_argument("--broadcast", default="", help="subscriber counts of the broadcast scenario (1000,5000)")
    parser.add_argument("--changes", type=int, default=5, help="timed changes per broadcast run")
    parser.add_argument("--runs", type=int, default=1, help="broadcast runs per subscriber count")
    parser.add_argument("--client-processes", type=int, default=4, help="processes opening the broadcast sockets")
    args = parser.parse_args()
    global CONNECT_RATE
    CONNECT_RATE = args.connect_rate
    sizes = [int(n) for n in args.subscribers.split(",")]
    env = configure(args.database_url, args.redis_url, f"bench-{os.getpid()}")
    orders = prepare(args.database_url, env, max(sizes))

    from tests.servers import start_daphne, stop

    server, base = start_daphne(env, timeout=60, log=open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "wb"))
    if args.broadcast:
        try:
            token = staff_token()
            print(f"broadcast: one daphne process, Redis channel layer, {args.client_processes} client processes; "
                  f"{args.changes} staff orderCancel a second apart; latency = mutation request to arrival (ms)")
            print(f"{'subscribers':>11} {'run':>4} {'messages':>8} {'p50':>7} {'p95':>7} {'max':>7} {'lost':>5} {'RSS MB':>7} {'mutation max':>12}")
            for size in [int(n) for n in args.broadcast.split(",")]:
                for run_number in range(1, args.runs + 1):
                    found = broadcast(base, server.pid, token, size, args.changes, args.client_processes)
                    latencies = found["latencies"]
                    print(f"{size:>11} {run_number:>4} {len(latencies):>8} {statistics.median(latencies) if latencies else 0:>7.1f} "
                          f"{percentile(latencies, 0.95):>7.1f} {max(latencies, default=0):>7.1f} {found['lost']:>5} "
                          f"{found['rss']:>7.0f} {found['answered']:>12.1f}" + (f"  failures: {found['failures'][:2]}" if found["failures"] else "")
                          + ("" if found["warm"] == size else f"  only {found['warm']} sockets joined (lost counts theirs)"),
                          flush=True)
        finally:
            stop(server)
        return
    try:
        print("one daphne process, Redis channel layer; latency = commit (in this process) to delivery (ms)")
        print(f"{'scenario':>24} {'changes':>7} {'p50':>8} {'p95':>8} {'max':>8} {'lost':>5} {'connect s':>9} "
              f"{'RSS MB':>8} {'changes/s':>9}")
        for size in sizes:
            run(base, server.pid, orders[:size], f"{size} subscribers")
        run(base, server.pid, orders[:1], "1 subscriber, 50 changes", changes_each=50, pause=0.02)
    finally:
        stop(server)


if __name__ == "__main__":
    main()
