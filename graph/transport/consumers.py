"""Websockets on `/graphql/`: graphql-transport-ws (the legacy graphql-ws only when GRAPHQL_WS_LEGACY_PROTOCOL
is on), with the limits every connection gets.

- A present `Origin` must be one of CORS_ALLOWED_ORIGINS (the handshake is refused otherwise); an absent one is
  allowed, as native apps and servers send none.
- The connection signs in from its `connection_init` payload, `{"Authorization": "Bearer <access token>"}`
  (Apollo's connectionParams); a bad or expired token closes it with 4403, no token is an anonymous caller.
  Each operation re-reads that sign-in (graph.transport.streaming), and the socket closes with 4403, its running
  operations completed, as soon as the sign-in ends (graph.transport.sign_ins).
- Sockets per address and per user are capped (graph.transport.socket_caps): over the address's cap the handshake
  is refused, over the user's the connection_init is closed with 1013.
- At most GRAPHQL_WS_MAX_SUBSCRIPTIONS operations at once: one more gets an `error` on its id with
  MAX_SUBSCRIPTIONS_EXCEEDED (and `maximum`, `value`, like the other caps) and the socket stays open; and
  `connection_init` within GRAPHQL_WS_INIT_TIMEOUT.
- Throttling (graph.transport.buckets) never closes the socket: graphql-ws's client (Apollo's GraphQLWsLink) treats
  4429 and the other 44xx/4500 closes as fatal and never reconnects, so a tracking screen would die for good.
  `ping`, `pong` and `complete` (legacy `stop`, `connection_terminate`) are free, as keep-alives must be;
  `connection_init` takes one point without ever being refused (a reconnect loop drains its own bucket);
  each `subscribe` takes one point for the message (a flood of bad documents costs its sender, as a refusal
  does over HTTP) and, when the bucket is short, gets an `error` on its id with THROTTLED and `retryAfter`;
  what runs then pays its cost (graph.transport.metering), which can refuse it with THROTTLED the same way.
"""
import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings
from strawberry.channels import GraphQLWSConsumer
from strawberry.channels.handlers.ws_handler import ChannelsWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from commerce.accounts.tokens import TokenError, sign_in_for_access_token
from graph.core.context import Context
from graph.core.errors import ApiError
from graph.realtime import audiences, publisher
from graph.schema import schema
from graph.transport import buckets, sign_ins
from graph.transport.auth import bearer_token
from graph.transport.metering import refuse_if_short
from graph.transport.outbox import outbox_of
from graph.transport.streaming import operation_extensions


async def _take(context: Context, points: int, *, force: bool = False) -> buckets.Status | None:
    client = buckets.client_of(context)
    return await sync_to_async(buckets.take, thread_sensitive=False)(
        buckets.cost_bucket(), client, points, force=force)


async def _refusal(handler, running: int) -> ApiError | None:
    """Why a new operation on this socket is refused (None when it may run): the connection's cap first (it
    costs nothing to check), then the message's point from the client's bucket."""
    maximum = handler.view.max_subscriptions_per_connection
    if maximum is not None and running >= maximum:
        return ApiError("Subscription limit reached", code="MAX_SUBSCRIPTIONS_EXCEEDED", maximum=maximum,
                        value=running + 1)
    try:
        refuse_if_short(await _take(handler.context, 1), "websocket messages")
    except ApiError as refused:
        return refused
    return None


class _Metered:
    """What the handlers of both protocols do alike: `connection_init` takes a point and is never refused, and
    a new operation is answered with an error on its id when `_refusal` says so. Once the socket's sign-in has
    ended (graph.transport.sign_ins) nothing but `complete` goes out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.view.ws_handler = self

    async def handle_connection_init(self, message) -> None:
        await _take(self.context, 1, force=True)
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.context.sign_in is not None:
            self.view.watch_sign_in(self.context.sign_in, self.context.user.pk)

    async def send_message(self, message) -> None:
        if not self.view.signed_out or message.get("type") == "complete":
            await super().send_message(message)

    async def end_operations(self, code: int, reason: str) -> None:
        """Complete every running operation (a `complete` on its id), then close the socket."""
        running = list(getattr(self, "operations", None) or getattr(self, "tasks", None) or ())
        for operation_id in running:
            await self.cleanup_operation(operation_id)
            await self.send_message({"id": operation_id, "type": "complete"})
        await self.websocket.close(code=code, reason=reason)

    async def refused(self, message, running: int, *, as_list: bool) -> bool:
        refusal = await _refusal(self, running)
        if refusal is not None:
            payload = [refusal.formatted] if as_list else refusal.formatted
            await self.send_message({"id": message["id"], "type": "error", "payload": payload})
        return refusal is not None


class TransportWSHandler(_Metered, BaseGraphQLTransportWSHandler):
    async def handle_subscribe(self, message) -> None:
        if (self.connection_acknowledged and message.get("id") not in self.operations
                and await self.refused(message, len(self.operations), as_list=True)):
            return
        with operation_extensions(message), audiences.delivering_to(self.view, message.get("id")):
            await super().handle_subscribe(message)


class LegacyWSHandler(_Metered, BaseGraphQLWSHandler):
    async def handle_start(self, message) -> None:
        running = len(self.tasks) - (message.get("id") in self.tasks)  # a reused id replaces its operation
        if self.connection_acknowledged and await self.refused(message, running, as_list=False):
            return
        with operation_extensions(message):
            await super().handle_start(message)


class _Adapter(ChannelsWebSocketAdapter):
    async def close(self, code: int, reason: str) -> None:
        """Strawberry closes a refused connection_init with 4403; a refusal that is no matter of rights (the
        user's cap on sockets) says so with its own code."""
        refusal = getattr(self.ws_consumer, "refusal_code", None)
        await super().close(refusal if refusal is not None and code == 4403 else code, reason)


class GraphQLWebsocketConsumer(GraphQLWSConsumer):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler
    websocket_adapter_class = _Adapter
    ws_handler = None  # the protocol's handler, once the socket is accepted
    family_id = user_id = None  # the sign-in, once connection_init has signed in
    signed_out = False  # the sign-in ended: nothing more is delivered

    def __init__(self, **kwargs):
        protocols = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
        if settings.GRAPHQL_WS_LEGACY_PROTOCOL:
            protocols += (GRAPHQL_WS_PROTOCOL,)
        super().__init__(
            schema=schema,
            subscription_protocols=protocols,
            connection_init_wait_timeout=settings.GRAPHQL_WS_INIT_TIMEOUT,
            max_subscriptions_per_connection=settings.GRAPHQL_WS_MAX_SUBSCRIPTIONS,
            allowed_origins=settings.CORS_ALLOWED_ORIGINS,
            **kwargs,
        )

    async def connect(self) -> None:
        publisher.serve_from(asyncio.get_running_loop())
        await super().connect()

    async def send(self, text_data=None, bytes_data=None, close=False) -> None:
        """Frames go through the socket's bounded outbox (graph.transport.outbox); closes do not."""
        if text_data is not None or bytes_data is not None:
            await outbox_of(self).send(text_data if text_data is not None else bytes_data)
        if close:
            await self.close(close)

    async def websocket_disconnect(self, message) -> None:
        outbox_of(self).close()
        await super().websocket_disconnect(message)
    async def disconnect(self, code) -> None:
        sign_ins.watch.discard(self)
        await super().disconnect(code)

    def watch_sign_in(self, family_id: int, user_id: int) -> None:
        self.family_id, self.user_id = family_id, user_id
        sign_ins.watch.add(self)

    def end_sign_in(self) -> None:
        """The sign-in ended (graph.transport.sign_ins): deliver nothing more, complete the operations, close 4403."""
        self.signed_out = True
        if self.ws_handler is not None:
            self.ending = asyncio.get_running_loop().create_task(self.ws_handler.end_operations(4403, "Sign-in ended"))

    async def get_context(self, request, response) -> Context:
        return Context.for_socket(self)

    async def on_ws_connect(self, context: Context):
        params = context.connection_params or {}
        try:
            token = bearer_token(params.get("Authorization") or params.get("authorization") or "")
            sign_in = await sync_to_async(sign_in_for_access_token)(token) if token else None
        except TokenError as bad:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "reason": bad.code}) from None
        if sign_in is not None:  # no token: an anonymous caller
            context.user, context.sign_in = sign_in.user, sign_in.pk  # re-checked at each operation (streaming)
            held = self.scope.get("socket_slots")
            if held is not None and not await held.take_user(sign_in.user_id):
                self.refusal_code = 1013  # Try Again Later: graphql-ws clients retry it, with a back-off
                raise ConnectionRejectionError()
        return await super().on_ws_connect(context)
