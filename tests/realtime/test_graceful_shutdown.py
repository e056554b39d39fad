"""A web process told to stop (SIGTERM: docker stop, supervisord, a rolling restart) hands its clients on
(project/serve.py): its sockets close with 1012, which graphql-ws clients reconnect on, the HTTP request in flight
still gets its answer, new connections go elsewhere, and the process exits."""
import asyncio
import json
import signal
import threading

import httpx
import pytest
import websockets

from tests.realtime.client import ORDER_UPDATED, RECEIVE_TIMEOUT, Socket, gid, status_of
from tests.servers import deployed_env, start_daphne, stop

pytestmark = [pytest.mark.e2e]


def test_sigterm_closes_sockets_with_1012_finishes_requests_in_flight_and_exits(transactional_db, stripe, order_of):
    process, base = start_daphne(deployed_env(REDIS_URL="", ROOT_URLCONF="tests.slow_urls",
                                              SHUTDOWN_TIMEOUT_SECONDS="10"))
    answers = []

    def slow_request():
        answers.append(httpx.get(f"{base}/slow/?seconds=3", timeout=30))

    async def talk():
        socket = await Socket.open(base)
        await socket.subscribe("order", ORDER_UPDATED, id=gid(order_of), token=order_of.token)
        assert status_of(await socket.update("order")) == ("UNPAID", "PLACED")
        request = threading.Thread(target=slow_request)
        request.start()
        await asyncio.sleep(1)  # the request is in its view now
        process.send_signal(signal.SIGTERM)
        try:
            while True:
                json.loads(await asyncio.wait_for(socket.ws.recv(), RECEIVE_TIMEOUT))
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        try:  # no new sockets meanwhile
            await Socket.open(base)
            refused = False
        except (OSError, websockets.InvalidStatus, websockets.InvalidHandshake):
            refused = True
        await asyncio.to_thread(request.join, 30)
        return code, refused

    try:
        code, refused = asyncio.run(asyncio.wait_for(talk(), 60))
        exit_code = process.wait(timeout=30)
    finally:
        stop(process)
    assert code == 1012
    assert refused
    assert [(answer.status_code, answer.text) for answer in answers] == [(200, "finished")]
    assert exit_code is not None
