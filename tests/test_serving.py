"""The server as it is deployed: daphne serving project.asgi on a real port, against the test database.

Probes, CORS, GraphQL over HTTP, the graphql-transport-ws handshake on /graphql/, and the files the server serves
itself (static files and media) are checked from the outside, as a load balancer, a browser storefront and
Apollo's GraphQLWsLink meet them. The pages in a real browser: tests/browser.
"""
import asyncio
import json
import re

import httpx
import pytest
import websockets
from django.conf import settings

from commerce.catalog.demo import seed_catalog
from tests.servers import deployed_env, free_port, start_daphne, stop

# django_db: pytest-django creates the test database only for tests that ask for one.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db]
ORIGIN = "https://shop.example"


def start_server(env_overrides: dict):
    return start_daphne(deployed_env(CORS_ALLOWED_ORIGINS=ORIGIN, **env_overrides))


@pytest.fixture(scope="session")
def server(django_db_setup, redis_key_prefix):
    """One daphne for the session, stopped before the test database is dropped (it depends on its set-up)."""
    env = {"REDIS_KEY_PREFIX": redis_key_prefix} if settings.REDIS_URL else {"REDIS_URL": ""}
    process, base = start_server(env)
    yield base
    stop(process)


def test_liveness_and_readiness(server):
    assert httpx.get(f"{server}/healthz", timeout=5).json() == {"status": "ok"}
    ready = httpx.get(f"{server}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    if settings.REDIS_URL:
        assert ready.json()["checks"]["redis"] == "ok"


def test_readiness_names_what_is_down(django_db_setup):
    process, base = start_server({"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    try:
        ready = httpx.get(f"{base}/readyz", timeout=10)
    finally:
        stop(process)
    assert ready.status_code == 503
    assert ready.json()["down"] == ["redis"] and ready.json()["checks"]["database"] == "ok"


def test_readiness_on_real_redis(server, redis_url):
    assert httpx.get(f"{server}/readyz", timeout=5).json()["checks"]["redis"] == "ok"


def test_a_storefront_queries_over_http_with_cors(server, transactional_db):
    seed_catalog(3)  # committed, so that the server process sees it; flushed after the test
    response = httpx.post(
        f"{server}/graphql/",
        json={"query": "{ shop { currency } products(first: 2) { totalCount edges { node { name } } } }"},
        headers={"Origin": ORIGIN},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    data = response.json()["data"]
    assert data["shop"] == {"currency": "USD"} and len(data["products"]["edges"]) == 2
    foreign = httpx.post(f"{server}/graphql/", json={"query": "{ shop { name } }"},
                         headers={"Origin": "https://evil.example"}, timeout=10)
    assert "access-control-allow-origin" not in foreign.headers


def test_production_serves_no_graphiql_and_no_debug_pages(server):
    page = httpx.get(f"{server}/graphql/", headers={"Accept": "text/html"}, timeout=10)
    assert "graphiql" not in page.text.lower()
    missing = httpx.get(f"{server}/nowhere", timeout=10)
    assert missing.status_code == 404 and "Traceback" not in missing.text and "urlpatterns" not in missing.text


def test_websockets_speak_graphql_transport_ws(server):
    """A query over the socket, as Apollo's GraphQLWsLink sends one (subscriptions: tests/realtime)."""
    async def exchange():
        url = server.replace("http", "ws") + "/graphql/"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
            assert ws.subprotocol == "graphql-transport-ws"
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                      "payload": {"query": "{ shop { currency } }"}}))
            result = json.loads(await asyncio.wait_for(ws.recv(), 10))
            done = json.loads(await asyncio.wait_for(ws.recv(), 10))
            return result, done

    result, done = asyncio.run(exchange())
    assert result == {"id": "1", "type": "next", "payload": {"data": {"shop": {"currency": "USD"}}}}
    assert done == {"id": "1", "type": "complete"}


def test_the_legacy_websocket_protocol_is_off(server):
    async def attempt():
        url = server.replace("http", "ws") + "/graphql/"
        async with websockets.connect(url, subprotocols=["graphql-ws"], open_timeout=10) as ws:
            await asyncio.wait_for(ws.recv(), 10)

    with pytest.raises(websockets.exceptions.WebSocketException):
        asyncio.run(attempt())


def test_static_files_are_hashed_compressed_and_cached_for_good(server):
    page = httpx.get(f"{server}/admin/login/", timeout=10)
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page.text).group(1)
    plain = httpx.get(f"{server}{stylesheet}", headers={"Accept-Encoding": "identity"}, timeout=10)
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("text/css")
    assert plain.headers["cache-control"] == "max-age=315360000, public, immutable"
    zipped = httpx.get(f"{server}{stylesheet}", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == plain.content  # httpx unzips
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2
    assert httpx.get(f"{server}/static/admin/css/nowhere.css", timeout=10).status_code == 404


def test_uploaded_media_are_served_sandboxed(server):
    """Embedded mode serves MEDIA_ROOT itself; an upload never runs as a page of the API's origin."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
    name = default_storage.save("uploads/picture.svg", ContentFile(svg))
    try:
        response = httpx.get(f"{server}{settings.MEDIA_URL}{name}", timeout=10)
    finally:
        default_storage.delete(name)
    assert response.status_code == 200 and response.content == svg
    assert response.headers["content-type"] == "image/svg+xml"
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{server}{settings.MEDIA_URL}{name}", timeout=10).status_code == 404  # deleted: gone at once


def test_graphiql_loads_every_file_from_this_server(rf, settings):
    """Its page names only our static files (offline; tests/browser renders it), from the npm packages' own
    bytes: the integrity hashes the page carries are those of the vendored files."""
    import base64
    import hashlib
    from pathlib import Path
    from urllib.parse import unquote

    from django.contrib.staticfiles import finders

    from graph.transport.views import graphql_view

    settings.GRAPHIQL_ENABLED = True
    page = graphql_view()(rf.get("/graphql/", HTTP_ACCEPT="text/html")).content.decode()
    files = re.findall(r'(?:src|href)="([^"]+)"\s+integrity="sha384-([^"]+)"', page)
    assert len(files) == 7 and "unpkg" not in page
    for url, digest in files:
        assert url.startswith(settings.STATIC_URL), url
        path = finders.find(unquote(url.removeprefix(settings.STATIC_URL)))  # "@" comes quoted
        assert base64.b64encode(hashlib.sha384(Path(path).read_bytes()).digest()).decode() == digest, url
