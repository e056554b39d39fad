"""Nothing lost across drops: `ordersUpdated(after:)` and `myOrdersUpdated(after:)` replay what a client missed,
then go live with no gap, within a bounded window; a rolling restart loses nothing for a client that resumes."""
import asyncio
import threading

import pytest
import websockets
from django.db import transaction
from strawberry import relay

from commerce.accounts import tokens
from tests.realtime.client import RECEIVE_TIMEOUT, Socket
from tests.servers import deployed_env, start_daphnes_on_one_port, stop

pytestmark = [pytest.mark.e2e]

FEED = "subscription ($after: ID) { ordersUpdated(after: $after) { event { id type message } } }"
MINE = "subscription ($after: ID) { myOrdersUpdated(after: $after) { event { id type message } } }"


def event_gid(event) -> str:
    return relay.to_base64("OrderEvent", event.pk)


def note(order, message: str):
    from commerce.orders.services import record_event

    return record_event(order, "NOTE", message=message)


def test_a_feed_replays_what_was_missed_then_goes_live_and_refuses_a_cursor_past_its_window(
    tight_server, customer, staff_user, order_of
):
    """A replay may begin with events the client had (those written just before its cursor, which could have
    committed after it): a client dedupes by event id, so what counts is what is new, and in order."""
    placed = order_of.events.order_by("pk").last()

    async def resume(token, query, after, live: str) -> list[str]:
        socket = await Socket.open(tight_server, token=token)
        await socket.subscribe("1", query, after=event_gid(after))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(note, order_of, live)  # during or after the replay: it arrives either way
        new, seen = [], set()
        while live not in new:
            event = (await socket.update("1"))["event"]
            if relay.from_base64(event["id"])[1] not in seen and int(relay.from_base64(event["id"])[1]) > after.pk:
                new.append(event["message"])
            seen.add(relay.from_base64(event["id"])[1])
        await socket.close()
        return new

    staff, owner = tokens.sign_in(staff_user).access, tokens.sign_in(customer).access
    missed = [note(order_of, f"missed {n}") for n in range(3)]
    assert asyncio.run(resume(staff, FEED, placed, "live 1")) == ["missed 0", "missed 1", "missed 2", "live 1"]
    note(order_of, "missed 3")
    assert asyncio.run(resume(owner, MINE, missed[-1], "live 2")) == ["live 1", "missed 3", "live 2"]

    async def too_far_back():
        socket = await Socket.open(tight_server, token=staff)
        await socket.subscribe("1", FEED, after=event_gid(placed))  # 11 events back; the window holds 10
        return await socket.receive("1")

    for n in range(5):
        note(order_of, f"more {n}")
    refused = asyncio.run(too_far_back())
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert [error["extensions"]["code"] for error in errors] == ["CURSOR_TOO_OLD"]


def test_an_event_that_commits_after_a_later_one_is_still_replayed(postgres, tight_server, staff_user, order_of):
    """Ids are given at insert: the late one has the smaller id, and a client saw the bigger one first."""
    written, release = threading.Event(), threading.Event()
    late = {}

    def slow_transaction():
        with transaction.atomic():
            late["event"] = note(order_of, "late")
            written.set()
            release.wait(10)

    writer = threading.Thread(target=slow_transaction)
    writer.start()
    assert written.wait(10)
    early = note(order_of, "early")  # commits first, with the bigger id
    release.set()
    writer.join(10)
    assert late["event"].pk < early.pk

    token, after, replayed = tokens.sign_in(staff_user).access, event_gid(early), order_of.events.count() - 1

    async def resume():
        socket = await Socket.open(tight_server, token=token)
        await socket.subscribe("1", FEED, after=after)  # the client's last: "early"
        return [(await socket.update("1"))["event"]["message"] for _ in range(replayed)]

    assert "late" in asyncio.run(resume())  # numbered below "early", written just before it: replayed


def test_a_resuming_client_loses_nothing_when_one_of_two_processes_restarts(
    postgres, redis_url, redis_key_prefix, transactional_db, stripe, staff_user, order_of, tmp_path
):
    """Two daphne processes on one port (as deployed), a staff screen that reconnects with the last event id it
    saw, changes every 50 ms, and the process that holds the screen's socket stopped (SIGTERM) midway."""
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_key_prefix, STRIPE_API_BASE=stripe.base)
    logs = [tmp_path / "daphne-1.log", tmp_path / "daphne-2.log"]
    processes, base = start_daphnes_on_one_port(env, 2, logs)
    token = tokens.sign_in(staff_user).access
    made, first = [], event_gid(order_of.events.order_by("pk").last())

    def change_orders():
        for n in range(40):
            made.append(note(order_of, f"change {n}").pk)
            if n == 15:
                holder = next(p for p, log in zip(processes, logs) if b"WSCONNECT" in log.read_bytes())
                stop(holder)  # SIGTERM: the screen's socket goes; the port stays open through the other process
            threading.Event().wait(0.05)

    async def screen():
        seen, last, reconnects = set(), first, 0
        changing = asyncio.create_task(asyncio.to_thread(change_orders))
        while not (changing.done() and set(made) <= seen):
            try:
                socket = await Socket.open(base, token=token)
                await socket.subscribe("1", FEED, after=last)
                while True:
                    message = await socket.receive("1")
                    assert message["type"] == "next" and "errors" not in message["payload"], message
                    event = message["payload"]["data"]["ordersUpdated"]["event"]
                    seen.add(int(relay.from_base64(event["id"])[1]))
                    last = event["id"] if int(relay.from_base64(event["id"])[1]) == max(seen) else last
                    if changing.done() and set(made) <= seen:
                        break
            except (websockets.exceptions.ConnectionClosed, OSError, asyncio.TimeoutError):
                reconnects += 1
                assert reconnects < 20
                await asyncio.sleep(0.2)  # graphql-ws's retryWait, shortened
        await changing
        return seen, reconnects

    try:
        seen, reconnects = asyncio.run(asyncio.wait_for(screen(), 60))
    finally:
        for process in processes:
            stop(process)
    assert set(made) <= seen
    assert reconnects >= 1
