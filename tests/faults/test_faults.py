"""Processes and services die at the worst moments; no order, payment or event is lost or doubled.

Each test runs the real stack (daphne, a Dramatiq worker, PostgreSQL, Redis, the fake Stripe) on the suite's own
instances (tests/faults/conftest.py), breaks one thing, lets the system recover the way it does in production
(a restarted process, the payment-event sweeper, a client retrying with its Idempotency-Key, a reconnecting
screen), and then audits the database over SQL.
"""
import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest

from tests.faults.conftest import cart_ready_to_check_out, check_out, graphql, pay_at_stripe
from tests.payments.e2e import wait_for
from tests.realtime.client import ORDER_UPDATED, Socket
from tests.servers import ROOT, start_daphne, start_worker, stop

pytestmark = [pytest.mark.faults, pytest.mark.services, pytest.mark.timeout(420)]


def kill(process: subprocess.Popen) -> None:
    """SIGKILL to the process and its children (a worker forks its consumers): no chance to clean up."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def sweep(env: dict) -> None:
    """The periodic sweeper of unapplied payment events, run now rather than at its next five-minute mark."""
    subprocess.run([sys.executable, "manage.py", "shell", "-c",
                    "from tasks.payments import sweep_unprocessed_payment_events as s; s()"],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)


def audit_paid_once(postgres, order_ids: list[int]) -> None:
    """Each order PAID with exactly one PAYMENT_SUCCEEDED event, its payment received once, every event applied."""
    rows = postgres.sql("""SELECT o.id, o.payment_status, p.amount_received = p.amount,
        (SELECT count(*) FROM orders_orderevent e WHERE e.order_id = o.id AND e.type = 'PAYMENT_SUCCEEDED')
        FROM orders_order o JOIN payments_payment p ON p.order_id = o.id WHERE o.id = ANY(%s) ORDER BY o.id""",
                        order_ids)
    assert rows == [(pk, "PAID", True, 1) for pk in sorted(order_ids)]
    assert postgres.sql("SELECT count(*) FROM payments_webhookevent WHERE processed_at IS NULL") == [(0,)]


def order_pk(postgres, token: str) -> int:
    return postgres.sql("SELECT id FROM orders_order WHERE token = %s", token)[0][0]


def place_orders(base: str, count: int) -> list[dict]:
    placed = [check_out(base, cart_ready_to_check_out(base)) for _ in range(count)]
    assert all(p["errors"] == [] and p["order"]["status"] == "UNPAID" for p in placed), placed
    return placed


def intent_of(postgres, token: str) -> str:
    return postgres.sql("SELECT p.intent_id FROM payments_payment p JOIN orders_order o ON o.id = p.order_id "
                        "WHERE o.token = %s", token)[0][0]


def test_a_worker_killed_while_applying_payment_events_loses_and_doubles_none(private, stack_env, stripe_fake,
                                                                              tmp_path):
    postgres, _ = private
    env = {**stack_env, "PAYMENT_EVENT_SWEEP_AGE_SECONDS": "1"}
    web, base = start_daphne(env)
    try:
        placed = place_orders(base, 12)
        for p in placed:  # recorded at once, queued for a worker that is not running yet
            pay_at_stripe(base, stripe_fake, intent_of(postgres, p["order"]["token"]))
        worker = start_worker(env, tmp_path / "worker-1.log")
        assert wait_for(lambda: postgres.sql(
            "SELECT count(*) FROM payments_webhookevent WHERE processed_at IS NOT NULL")[0][0] > 0, timeout=60)
        kill(worker)
        applied = postgres.sql("SELECT count(*) FROM payments_webhookevent WHERE processed_at IS NOT NULL")[0][0]
        assert applied < len(placed), "the worker finished before it was killed: nothing was in flight"

        worker = start_worker(env, tmp_path / "worker-2.log")
        try:
            time.sleep(1.5)  # past the sweeper's age, so events held by the dead worker count as stuck
            sweep(env)
            assert wait_for(lambda: postgres.sql(
                "SELECT count(*) FROM payments_webhookevent WHERE processed_at IS NULL") == [(0,)], timeout=90)
        finally:
            stop(worker)
    finally:
        stop(web)
    audit_paid_once(postgres, [order_pk(postgres, p["order"]["token"]) for p in placed])


def test_redis_restarting_keeps_queued_jobs_and_a_tracking_screen_sees_the_payment(private, stack_env, stripe_fake,
                                                                                   tmp_path):
    postgres, redis_instance = private
    web, base = start_daphne(stack_env)
    try:
        (placed,) = place_orders(base, 1)
        order = placed["order"]

        async def watch() -> list[str]:
            """A tracking screen: subscribes, and after a drop reconnects and subscribes again, as graphql-ws does."""
            seen: list[str] = []
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and "PAID" not in seen:
                try:
                    socket = await Socket.open(base)
                    await socket.subscribe("1", ORDER_UPDATED, id=order["id"], token=order["token"])
                    while "PAID" not in seen:
                        seen.append((await socket.update("1"))["order"]["status"])
                        if seen == ["UNPAID"]:
                            ready.set()
                    await socket.close()
                except (OSError, asyncio.TimeoutError, AssertionError, Exception):  # noqa: BLE001 - a drop
                    await asyncio.sleep(0.5)
            return seen

        ready = threading.Event()
        result: dict = {}
        screen = threading.Thread(target=lambda: result.update(seen=asyncio.run(watch())))
        screen.start()
        assert ready.wait(30), "the screen never got the order's first message"

        pay_at_stripe(base, stripe_fake, intent_of(postgres, order["token"]))  # the job waits in Redis: no worker
        redis_instance.restart(down_for=1.0)
        worker = start_worker(stack_env, tmp_path / "worker.log")
        try:
            assert wait_for(lambda: graphql(base, "query ($t: String!) { order(token: $t) { paymentStatus } }",
                                            t=order["token"]) == {"paymentStatus": "PAID"}, timeout=60)
            screen.join(130)
        finally:
            stop(worker)
    finally:
        stop(web)
    assert result["seen"][0] == "UNPAID" and result["seen"][-1] == "PAID", result
    audit_paid_once(postgres, [order_pk(postgres, order["token"])])


def test_postgresql_restarting_during_checkouts_leaves_no_half_order_and_retries_complete(private, stack_env,
                                                                                         stripe_fake):
    postgres, _ = private
    web, base = start_daphne(stack_env)
    try:
        carts = [cart_ready_to_check_out(base) for _ in range(12)]
        keys = {cart: str(uuid.uuid4()) for cart in carts}
        stock_before = postgres.sql("SELECT sum(stock) FROM catalog_productvariant")[0][0]
        answers: dict[str, object] = {}

        def attempt(cart: str) -> None:
            try:
                answers[cart] = check_out(base, cart, key=keys[cart])
            except (httpx.HTTPError, AssertionError, ValueError) as exc:  # the database went away under it
                answers[cart] = exc

        threads = [threading.Thread(target=attempt, args=(cart,)) for cart in carts]
        for thread in threads:
            thread.start()
            time.sleep(0.05)
        postgres.restart(down_for=0.5)
        for thread in threads:
            thread.join(60)

        def retried(cart: str) -> dict:
            """The storefront retries with the same Idempotency-Key until it gets an answer; a claim whose request
            died with the database is given up after IDEMPOTENCY_ABANDONED_AFTER_SECONDS (5 here)."""
            for _ in range(30):
                try:
                    answer = check_out(base, cart, key=keys[cart])
                    if [e["code"] for e in answer["errors"]] != ["IDEMPOTENCY_IN_PROGRESS"]:
                        return answer
                except (httpx.HTTPError, AssertionError, ValueError):
                    pass
                time.sleep(1)
            raise AssertionError(f"checkout of {cart} never answered after the restart")

        final = {cart: retried(cart) for cart in carts}
    finally:
        stop(web)
    numbers = [final[c]["order"]["number"] for c in carts]
    assert all(final[c]["errors"] == [] for c in carts), final
    for cart, first in answers.items():  # whoever got an answer the first time got the same order on retry
        if isinstance(first, dict) and first.get("order"):
            assert first["order"]["number"] == final[cart]["order"]["number"]
    assert len(set(numbers)) == len(carts)
    assert postgres.sql("SELECT count(*) FROM orders_order o WHERE NOT EXISTS "
                        "(SELECT 1 FROM orders_orderline l WHERE l.order_id = o.id)") == [(0,)]
    sold = postgres.sql("SELECT sum(l.quantity) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
                        "WHERE o.id = ANY(%s)", [int(n) for n in numbers])[0][0]
    assert postgres.sql("SELECT sum(stock) FROM catalog_productvariant")[0][0] == stock_before - sold


def test_a_gateway_failing_then_timing_out_leaves_one_order_paid_once(private, stack_env, stripe_fake, tmp_path):
    postgres, _ = private
    worker = start_worker(stack_env, tmp_path / "worker.log")
    web, base = start_daphne(stack_env)
    try:
        cart = cart_ready_to_check_out(base)
        stripe_fake.failing = True
        first = check_out(base, cart)
        assert [e["code"] for e in first["errors"]] == ["PAYMENT_PROVIDER_ERROR"]
        assert first["order"]["status"] == "UNPAID"
        order = first["order"]
        stripe_fake.failing, stripe_fake.slow = False, 4.0  # over STRIPE_TIMEOUT_SECONDS (2): done, answered late
        again = graphql(base, """mutation ($id: ID!, $t: String) { orderPaymentCreate(id: $id, token: $t) {
          payment { status } errors { code } } }""", id=order["id"], t=order["token"])
        assert [e["code"] for e in again["errors"]] == ["PAYMENT_PROVIDER_ERROR"]
        stripe_fake.slow = 0.0
        retried = graphql(base, """mutation ($id: ID!, $t: String) { orderPaymentCreate(id: $id, token: $t) {
          payment { status clientSecret } errors { code } } }""", id=order["id"], t=order["token"])
        assert retried["errors"] == [] and retried["payment"]["clientSecret"]
        pay_at_stripe(base, stripe_fake, intent_of(postgres, order["token"]))
        assert wait_for(lambda: graphql(base, "query ($t: String!) { order(token: $t) { paymentStatus } }",
                                        t=order["token"]) == {"paymentStatus": "PAID"}, timeout=60)
    finally:
        stop(web)
        stop(worker)
    # The timed-out call opened an intent at Stripe; the retry used the same idempotency key, so there is one.
    opened = [i for i in stripe_fake.intents.values() if i["metadata"].get("order_id") == order["number"]]
    assert len(opened) == 1, stripe_fake.intents
    audit_paid_once(postgres, [int(order["number"])])


def test_a_web_process_killed_mid_checkout_and_the_retry_gets_the_same_order(private, stack_env, stripe_fake,
                                                                             tmp_path):
    postgres, _ = private
    web, base = start_daphne(stack_env)
    port = base.rsplit(":", 1)[1]
    cart = cart_ready_to_check_out(base)
    key = str(uuid.uuid4())
    stripe_fake.slow = 1.5  # the payment intent is being opened when the process dies
    answered: dict = {}
    request = threading.Thread(target=lambda: answered.update(r=_try(lambda: check_out(base, cart, key=key))))
    request.start()
    assert wait_for(lambda: any(call[1] == "/v1/payment_intents" for call in stripe_fake.calls), timeout=30)
    kill(web)
    request.join(30)
    assert isinstance(answered["r"], Exception), "the request was answered before the process died"
    stripe_fake.slow = 0.0
    web, base = start_daphne(stack_env, port=int(port))
    try:
        final = check_out(base, cart, key=key)
    finally:
        stop(web)
    assert final["errors"] == [] and final["order"]["status"] == "UNPAID"
    assert postgres.sql("SELECT count(*) FROM orders_order WHERE token = %s", final["order"]["token"]) == [(1,)]
    assert postgres.sql("SELECT count(*) FROM carts_cart WHERE token = %s", cart) in ([(0,)], [(1,)])
    placed_for_cart = postgres.sql("SELECT count(*) FROM payments_payment p JOIN orders_order o ON o.id = p.order_id "
                                   "WHERE o.token = %s", final["order"]["token"])
    assert placed_for_cart == [(1,)]


def _try(call):
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the connection dies with the process
        return exc
