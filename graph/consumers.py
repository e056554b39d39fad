from strawberry.channels import GraphQLWSConsumer
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from graph.schema import schema


class GraphQLWebsocketConsumer(GraphQLWSConsumer):
    """Websockets on `/graphql/`, speaking graphql-transport-ws only (the legacy protocol stays off)."""

    def __init__(self, **kwargs):
        super().__init__(schema=schema, subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,), **kwargs)
