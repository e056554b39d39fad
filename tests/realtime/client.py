"""A graphql-transport-ws client as Apollo's GraphQLWsLink speaks it, over the `websockets` library, with a
timeout on every receive."""
import asyncio
import json
from collections import defaultdict

import httpx
import websockets
from channels.testing import WebsocketCommunicator
from strawberry import relay

RECEIVE_TIMEOUT = 15
STOREFRONT = "https://shop.example"  # the CORS origin the embedded server allows

UPDATE_FIELDS = "order { number status paymentStatus } event { id type status }"
ORDER_UPDATED = f"subscription ($id: ID!, $token: String) {{ orderUpdated(id: $id, token: $token) {{ {UPDATE_FIELDS} }} }}"
MY_ORDERS_UPDATED = f"subscription {{ myOrdersUpdated {{ {UPDATE_FIELDS} }} }}"
ORDERS_UPDATED = f"subscription {{ ordersUpdated {{ {UPDATE_FIELDS} }} }}"


class Socket:
    def __init__(self, ws):
        self.ws = ws
        self.inbox: dict[str, list[dict]] = defaultdict(list)

    @classmethod
    async def open(cls, base: str, *, token: str | None = None, origin: str | None = None) -> "Socket":
        headers = {"Origin": origin} if origin else {}
        ws = await websockets.connect(base.replace("http", "ws") + "/graphql/", subprotocols=["graphql-transport-ws"],
                                      additional_headers=headers, open_timeout=10)
        socket = cls(ws)
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"} if token else {}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT))
        assert ack["type"] == "connection_ack", ack
        return socket

    async def subscribe(self, operation_id: str, query: str, *, extensions: dict | None = None, **variables) -> None:
        payload = {"query": query, "variables": variables, **({"extensions": extensions} if extensions else {})}
        await self.ws.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))

    async def receive(self, id: str) -> dict:
        """The next message for subscription `id` (next, error or complete), keeping others for later."""
        while not self.inbox[id]:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), RECEIVE_TIMEOUT))
            self.inbox[message.get("id", "")].append(message)
        return self.inbox[id].pop(0)

    async def update(self, id: str) -> dict:
        message = await self.receive(id)
        assert message["type"] == "next" and "errors" not in message["payload"], message
        (update,) = message["payload"]["data"].values()
        return update

    async def close(self) -> None:
        await self.ws.close()


def status_of(update: dict) -> tuple[str, str]:
    return update["order"]["status"], update["event"]["type"]


def over_the_consumer(*queries: str | dict) -> list[dict]:
    """Each query (or payload, with its variables) sent as a graphql-transport-ws subscribe message to the API's
    consumer, in this process (so a test's settings hold); the first answer to each (next or error)."""
    async def talk():
        from graph.transport.consumers import GraphQLWebsocketConsumer

        socket = WebsocketCommunicator(GraphQLWebsocketConsumer.as_asgi(), "/graphql/",
                                       subprotocols=["graphql-transport-ws"])
        assert (await socket.connect())[0]
        await socket.send_json_to({"type": "connection_init", "payload": {}})
        assert (await socket.receive_json_from(10))["type"] == "connection_ack"
        answers = []
        for n, query in enumerate(queries):
            payload = query if isinstance(query, dict) else {"query": query}
            await socket.send_json_to({"id": str(n), "type": "subscribe", "payload": payload})
            answer = await socket.receive_json_from(10)
            while answer["type"] == "complete":  # the end of the one before
                answer = await socket.receive_json_from(10)
            answers.append(answer)
        await socket.disconnect()
        return answers

    return asyncio.run(talk())


def gid(order) -> str:
    return relay.to_base64("Order", order.pk)


def graphql(base: str, token: str, query: str, **variables) -> dict:
    body = httpx.post(f"{base}/graphql/", json={"query": query, "variables": variables},
                      headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert "errors" not in body, body
    return body["data"]
