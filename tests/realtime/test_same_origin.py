"""A page's own websocket passes the origin check behind a proxy that keeps the Host header (deploy/nginx.conf), as
the order-tracking page's does; a page of another origin is refused. Same origin is the Origin's host and port
matching the Host's, with the scheme's default port where one leaves it out (TLS may end at the proxy)."""
import asyncio

import pytest
from channels.testing import WebsocketCommunicator


def handshake(host: str, origin: str) -> bool:
    async def attempt():
        from graph.transport.consumers import GraphQLWebsocketConsumer

        socket = WebsocketCommunicator(GraphQLWebsocketConsumer.as_asgi(), "/graphql/",
                                       headers=[(b"host", host.encode()), (b"origin", origin.encode())],
                                       subprotocols=["graphql-transport-ws"])
        accepted, _ = await socket.connect(timeout=10)
        await socket.disconnect()
        return accepted

    return asyncio.run(attempt())


@pytest.mark.parametrize("host, origin, accepted", [
    ("shop.example", "https://shop.example", True),  # TLS ends at the proxy; the Host is kept
    ("shop.example:8443", "https://shop.example:8443", True),  # ...with its port ($http_host)
    ("localhost:8000", "http://localhost:8000", True),  # docker-compose: the proxy published on 8000
    ("localhost", "http://localhost:8000", False),  # a proxy that drops the port ($host) would refuse the page
    ("shop.example", "https://evil.example", False),  # another site's page
    ("shop.example", "https://shop.example.evil.example", False),
    ("shop.example", "null", False),  # a sandboxed or file: page
])
def test_a_pages_own_socket_passes_behind_a_proxy_that_keeps_host(settings, host, origin, accepted):
    settings.CORS_ALLOWED_ORIGINS = []  # the tracking page needs no CORS entry: it is the server's own origin
    assert handshake(host, origin) is accepted
