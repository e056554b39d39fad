"""Execute once per audience (graph/realtime/audiences.py): sockets that would receive the same bytes share one
execution, each still sees exactly what it may, and a socket that does not read is closed alone."""
import asyncio
import json
import socket as sockets

import pytest
import websockets
from channels.testing import WebsocketCommunicator
from strawberry import relay

from commerce.accounts import tokens
from tests.realtime.client import MY_ORDERS_UPDATED, ORDERS_UPDATED, RECEIVE_TIMEOUT, Socket, gid, graphql

pytestmark = [pytest.mark.e2e]

LINES = ("subscription ($id: ID!, $token: String) { orderUpdated(id: $id, token: $token) "
         "{ order { status lines { sku variant { sku } } } event { id type } } }")
RESUMING = "subscription ($after: ID) { ordersUpdated(after: $after) { event { id } } }"
CANCEL = 'mutation ($id: ID!) { orderCancel(id: $id) { errors { code } } }'


def test_each_socket_of_a_shared_feed_sees_only_what_it_may(embedded_server, customer, staff_user, order_of):
    """Two staff screens share the staff feed and see every order; the owner's feed and the token holder's screen
    see only the owner's order, and the owner may not open the staff feed."""
    from decimal import Decimal

    from commerce.accounts.models import User
    from commerce.orders.models import Order, OrderEvent

    other = Order.objects.create(email="someone@example.com", currency="USD", subtotal=Decimal("5"), total=Decimal("5"))
    OrderEvent.objects.create(order=other, type="PLACED", status="UNPAID", payment_status="NOT_PAID")
    other_staff = User.objects.create_user("staff2@example.com", "another staff passphrase", is_staff=True)
    staff_token, other_token = tokens.sign_in(staff_user).access, tokens.sign_in(other_staff).access
    owner_token, order_id, order_token = tokens.sign_in(customer).access, gid(order_of), order_of.token
    feed = "subscription { %s { order { number status } event { type } } }"

    async def follow():
        screens = {"staff": await Socket.open(embedded_server, token=staff_token),
                   "staff2": await Socket.open(embedded_server, token=other_token),
                   "owner": await Socket.open(embedded_server, token=owner_token),
                   "guest": await Socket.open(embedded_server)}
        for name in ("staff", "staff2"):
            await screens[name].subscribe("1", feed % "ordersUpdated")
        await screens["owner"].subscribe("1", feed % "myOrdersUpdated")
        await screens["owner"].subscribe("staff", feed % "ordersUpdated")
        refused = await screens["owner"].receive("staff")
        await screens["guest"].subscribe("1", LINES, id=order_id, token=order_token)
        await screens["guest"].update("1")  # the current state
        await asyncio.sleep(0.3)  # the feeds have no first message; give their joins a moment
        for order in (gid(other), order_id):
            await asyncio.to_thread(graphql, embedded_server, staff_token, CANCEL, id=order)
        seen = {name: [(await screens[name].update("1"))["order"]["status"] for _ in range(2 if "staff" in name else 1)]
                for name in screens}
        for screen in screens.values():  # nothing else is on its way to the owner or the guest
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(screen.ws.recv(), 0.5)
        return seen, refused

    seen, refused = asyncio.run(follow())
    assert seen == {"staff": ["CANCELLED", "CANCELLED"], "staff2": ["CANCELLED", "CANCELLED"],
                    "owner": ["CANCELLED"], "guest": ["CANCELLED"]}
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert [error["extensions"]["code"] for error in errors] == ["FORBIDDEN"]


def test_sockets_share_an_audience_only_with_the_same_document_variables_and_rights(
    transactional_db, customer, staff_user, order_of
):
    """In this process, over the API's consumer: who shares an execution with whom."""
    from graph.realtime import audiences
    from graph.transport.consumers import GraphQLWebsocketConsumer

    staff, owner = tokens.sign_in(staff_user).access, tokens.sign_in(customer).access
    first_event = relay.to_base64("OrderEvent", order_of.events.order_by("pk").last().pk)

    async def connect(token):
        communicator = WebsocketCommunicator(GraphQLWebsocketConsumer.as_asgi(), "/graphql/",
                                             subprotocols=["graphql-transport-ws"])
        assert (await communicator.connect())[0]
        await communicator.send_json_to({"type": "connection_init",
                                         "payload": {"Authorization": f"Bearer {token}"} if token else {}})
        assert (await communicator.receive_json_from(RECEIVE_TIMEOUT))["type"] == "connection_ack"
        return communicator

    async def subscribe():
        subscriptions = [(staff, RESUMING, {"after": None}), (staff, RESUMING, {"after": first_event}),
                         (staff, ORDERS_UPDATED, {}),
                         (owner, MY_ORDERS_UPDATED, {}), (owner, MY_ORDERS_UPDATED, {}),
                         (owner, LINES, {"id": gid(order_of)}), (staff, LINES, {"id": gid(order_of)}),
                         (None, LINES, {"id": gid(order_of), "token": order_of.token})]
        communicators = []
        for token, query, variables in subscriptions:
            communicator = await connect(token)
            await communicator.send_json_to({"id": "1", "type": "subscribe",
                                             "payload": {"query": query, "variables": variables}})
            communicators.append(communicator)
        await asyncio.sleep(0.5)
        hub = audiences._hubs[asyncio.get_running_loop()]
        sizes = sorted(len(audience.members) for audience in hub.audiences.values())
        for communicator in communicators:
            await communicator.disconnect()
        await asyncio.sleep(0.1)
        return sizes, len(hub.audiences)

    sizes, left = asyncio.run(subscribe())
    # staff alike (a cursor only decides the replay), another document apart, the owner alike, and on one
    # order's document the owner, staff and the token holder each apart: what decides visibility differs
    assert sizes == [1, 1, 1, 1, 2, 2]
    assert left == 0


def test_a_socket_that_does_not_read_is_closed_with_1013_and_the_others_keep_up(tight_server, staff_user, order_of):
    from commerce.orders.services import record_event

    token = tokens.sign_in(staff_user).access
    query = "subscription { ordersUpdated { event { id message } } }"
    changes = 150

    async def attempt():
        raw = sockets.socket()
        raw.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096)  # before connecting: no window to speak of
        raw.connect(("127.0.0.1", int(tight_server.rsplit(":", 1)[1])))
        slow = await websockets.connect(tight_server.replace("http", "ws") + "/graphql/", sock=raw, max_queue=1,
                                        subprotocols=["graphql-transport-ws"], open_timeout=10)
        await slow.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        await asyncio.wait_for(slow.recv(), RECEIVE_TIMEOUT)
        await slow.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        fast = await Socket.open(tight_server, token=token)
        await fast.subscribe("1", query)
        await asyncio.sleep(0.5)
        received = []

        async def read_fast():
            while len(received) < changes:
                received.append((await fast.update("1"))["event"]["id"])

        reading = asyncio.create_task(read_fast())
        for n in range(changes):  # 40 kB each: megabytes for a reader that does not read
            await asyncio.to_thread(record_event, order_of, "NOTE", message=f"{n}:" + "x" * 40_000)
        await asyncio.wait_for(reading, RECEIVE_TIMEOUT)
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(slow.recv(), RECEIVE_TIMEOUT)
        return len(set(received)), closed.value.rcvd.code if closed.value.rcvd else 1006

    # Closed with 1013 after the frames it had buffered; a client that has not read them by the end of autobahn's
    # close handshake (a second) is dropped instead (1006). graphql-ws reconnects on either.
    got, code = asyncio.run(attempt())
    assert got == changes and code in (1013, 1006)
