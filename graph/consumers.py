"""Websockets on `/graphql/`: graphql-transport-ws (the legacy graphql-ws only when GRAPHQL_WS_LEGACY_PROTOCOL
is on), with the limits every connection gets.

- A present `Origin` must be one of CORS_ALLOWED_ORIGINS (the handshake is refused otherwise); an absent one is
  allowed, as native apps and servers send none.
- The connection signs in from its `connection_init` payload, `{"Authorization": "Bearer <access token>"}`
  (Apollo's connectionParams); a bad or expired token closes it with 4403, no token is an anonymous caller.
- At most GRAPHQL_WS_MAX_SUBSCRIPTIONS operations at once (one more gets an error on its id and the socket
  stays open), and `connection_init` within GRAPHQL_WS_INIT_TIMEOUT.
- Every message costs a point from the client's bucket (graph.throttle; each operation also pays its cost,
  graph.metering); a client whose bucket is empty has its socket closed with 4429.
"""
import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings
from strawberry.channels import GraphQLWSConsumer
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from commerce.accounts.tokens import TokenError, sign_in_for_access_token
from graph import realtime, throttle
from graph.schema import schema


class GraphQLWebsocketConsumer(GraphQLWSConsumer):
    user = None  # who connection_init signed in, for the bucket

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
        realtime.serve_from(asyncio.get_running_loop())
        await super().connect()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        client = throttle.client_of_socket(self.scope, self.user)
        status = await sync_to_async(throttle.take, thread_sensitive=False)(throttle.cost_bucket(), client, 1)
        if status is not None and not status.taken:
            await self.close(code=4429, reason=f"Throttled: retry after {status.retry_after} s")
            return
        await super().receive(text_data, bytes_data)

    async def on_ws_connect(self, context: dict):
        params = context.get("connection_params") or {}
        authorization = params.get("Authorization") or params.get("authorization") or ""
        if not authorization:
            return await super().on_ws_connect(context)
        scheme, _, token = str(authorization).strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "reason": "TOKEN_INVALID"})
        try:
            sign_in = await sync_to_async(sign_in_for_access_token)(token.strip())
        except TokenError as bad:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "reason": bad.code}) from None
        context["user"] = self.user = sign_in.user
        context["sign_in"] = sign_in.pk  # re-checked at each operation (graph.streaming)
        return await super().on_ws_connect(context)
