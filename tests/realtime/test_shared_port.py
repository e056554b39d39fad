"""Many web processes behind one port, as deploy/supervisord.conf runs them: two daphne processes accept on one
listening socket (`--fd`), HTTP and websockets alike, sharing PostgreSQL and Redis (the channel layer)."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from commerce.accounts import tokens
from tests.realtime.client import ORDER_UPDATED, Socket, gid, graphql, status_of
from tests.servers import deployed_env, start_daphnes_on_one_port, stop

pytestmark = [pytest.mark.e2e]
SHOP = "{ shop { currency } }"


def test_two_processes_on_one_port_serve_requests_and_live_updates_and_outlive_each_other(
    postgres, redis_url, redis_key_prefix, transactional_db, stripe, customer, order_of, tmp_path
):
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-port", STRIPE_API_BASE=stripe.base,
                       CONN_MAX_AGE="60",  # as deployed: request threads keep their connections (project/threads.py)
                       MAX_CONCURRENT_REQUESTS="4")
    logs = [tmp_path / "daphne-1.log", tmp_path / "daphne-2.log"]
    processes, base = start_daphnes_on_one_port(env, 2, logs)  # returns once each has answered
    customer_token = tokens.sign_in(customer).access

    def query(_):
        return httpx.post(f"{base}/graphql/", json={"query": SHOP}, timeout=30)

    async def follow_the_order():
        socket = await Socket.open(base, token=customer_token)
        await socket.subscribe("1", ORDER_UPDATED, id=gid(order_of))
        seen = [status_of(await socket.update("1"))]
        # Over a new connection, to whichever process accepts it; the change reaches the socket through Redis.
        cancelled = await asyncio.to_thread(graphql, base, customer_token,
                                            'mutation ($id: ID!) { orderCancel(id: $id) { errors { code } } }',
                                            id=gid(order_of))
        assert cancelled == {"orderCancel": {"errors": []}}
        seen.append(status_of(await socket.update("1")))
        await socket.close()
        return seen

    def served(log) -> int:
        return log.read_bytes().count(b'"POST /graphql/"')

    try:
        with ThreadPoolExecutor(8) as clients:
            answers = list(clients.map(query, range(40)))
        seen = asyncio.run(follow_the_order())
        # Which process accepts a connection is the kernel's choice: an idle one often wins them all. Stopping one
        # that served (a rolling restart) shows the port stays open and the other process serves it.
        busy = next(index for index, log in enumerate(logs) if served(log))
        other = logs[1 - busy]
        before = served(other)
        stop(processes[busy])
        after = query(0)
    finally:
        for process in processes:
            stop(process)

    assert [answer.status_code for answer in answers] == [200] * 40
    assert all(answer.json()["data"] == {"shop": {"currency": "USD"}} for answer in answers)
    assert seen == [("UNPAID", "PLACED"), ("CANCELLED", "CANCELLED")]
    assert after.status_code == 200 and after.json()["data"]["shop"]["currency"] == "USD"
    assert served(other) == before + 1
