"""Caps on websockets (graph/transport/socket_caps.py), through the ASGI stack the server runs (the caps, then the
consumer): per address a refused handshake, per user a 1013 at connection_init, a bucket on opening them, and the
exempt networks. Counted in Redis when the suite runs with REDIS_URL, in the process otherwise."""
import asyncio

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import re_path

from commerce.accounts import tokens

TIMEOUT = 10


@pytest.fixture
def caps(settings, transactional_db):
    from graph.transport import socket_caps

    socket_caps._refused_until.clear()  # what earlier tests' refusals left in this process's memory
    settings.GRAPHQL_WS_MAX_SOCKETS_PER_IP = 3
    settings.GRAPHQL_WS_MAX_SOCKETS_PER_USER = 2
    settings.GRAPHQL_WS_CONNECT_BURST = 100
    settings.GRAPHQL_WS_CONNECTS_PER_SECOND = 1
    settings.GRAPHQL_WS_UNCAPPED_NETWORKS = []
    settings.TRUSTED_PROXY_HOPS = 1
    return settings


def application():
    from graph.transport.consumers import GraphQLWebsocketConsumer
    from graph.transport.socket_caps import SocketCaps

    return SocketCaps(URLRouter([re_path(r"^graphql/?$", GraphQLWebsocketConsumer.as_asgi())]))


async def opened(address: str, token: str | None = None):
    """A socket from `address` (as the trusted proxy says), past its handshake and connection_init: (socket, None),
    or (None, why): "refused" for the handshake, else the close code at connection_init."""
    socket = WebsocketCommunicator(application(), "/graphql/", subprotocols=["graphql-transport-ws"],
                                   headers=[(b"x-forwarded-for", address.encode())])
    accepted, code = await socket.connect(TIMEOUT)
    if not accepted:
        return None, "refused"
    await socket.send_json_to({"type": "connection_init",
                               "payload": {"Authorization": f"Bearer {token}"} if token else {}})
    answer = await socket.receive_output(TIMEOUT)
    if answer["type"] == "websocket.close":
        return None, answer["code"]
    return socket, None


def test_an_address_holds_at_most_its_cap_and_one_closed_frees_a_place(caps):
    from graph.transport import socket_caps

    async def talk():
        held = [await opened("203.0.113.7") for _ in range(3)]
        over = await opened("203.0.113.7")
        other = await opened("198.51.100.1")  # another address has its own count
        await held[0][0].disconnect()
        remembered = await opened("203.0.113.7")  # refused from memory for a moment, without asking the count
        await asyncio.sleep(socket_caps.REMEMBER_REFUSAL)
        again = await opened("203.0.113.7")
        for socket, _ in [*held[1:], other, again]:
            await socket.disconnect()
        return [why for _, why in held], over[1], other[1], remembered[1], again[1]

    assert asyncio.run(talk()) == ([None, None, None], "refused", None, "refused", None)


def test_a_user_holds_at_most_their_cap_wherever_they_connect_from(caps, customer):
    token = tokens.sign_in(customer).access

    async def talk():
        first = await opened("203.0.113.7", token)
        second = await opened("198.51.100.1", token)
        third = await opened("192.0.2.5", token)
        anonymous = await opened("192.0.2.5")  # the address itself has room
        for socket, _ in (first, second, anonymous):
            await socket.disconnect()
        return first[1], second[1], third[1], anonymous[1]

    assert asyncio.run(talk()) == (None, None, 1013, None)


def test_opening_sockets_draws_on_the_address_bucket(caps):
    caps.GRAPHQL_WS_CONNECT_BURST = 4

    async def talk():
        whys = []
        for _ in range(6):  # each opened and closed at once: only the bucket can refuse
            socket, why = await opened("203.0.113.9")
            whys.append(why)
            if socket is not None:
                await socket.disconnect()
        return whys

    whys = asyncio.run(talk())
    assert whys[:4] == [None] * 4 and "refused" in whys[4:]


def test_exempt_networks_are_not_capped(caps):
    caps.GRAPHQL_WS_UNCAPPED_NETWORKS = ["203.0.113.0/24"]

    async def talk():
        held = [await opened("203.0.113.7") for _ in range(5)]
        for socket, _ in held:
            await socket.disconnect()
        return [why for _, why in held]

    assert asyncio.run(talk()) == [None] * 5
