"""A careless client (or a fuzzer) gets the client's error, never a server fault: every answer of /graphql/ is
JSON in the GraphQL shape with the contract's code, every answer carries X-Request-Id, a body over the cap is
refused before it is read, and the logs keep no query string or token.
"""
import asyncio
import json
import logging
import socket
from urllib.parse import urlsplit

import httpx
import pytest
import strawberry
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler  # get_asgi_application() would set logging up again
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from graph.schema import Schema
from graph.schema import schema as api_schema
from graph.transport.views import ApiView
from project.gate import Gate
from tests.servers import deployed_env, start_daphne, stop

TOKEN = "Zq3_kT9xVb-2LmN8pRs4uWy6Ae1Cd5Fg"  # shaped as carts' and orders' tokens (token_urlsafe(24))


def answer(response, status: int) -> dict:
    """The one error of a refusal in the GraphQL shape, checked for its status, JSON and cost."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body.get("data") is None and body["extensions"]["cost"]["requestedQueryCost"] == 0
    (error,) = body["errors"]
    return error


@pytest.mark.parametrize("body", [
    "{not json", '"hello"', "[1]", "null", "[" * 2000 + "]" * 2000, '{"query": "{ shop { name } }", "v": '
    + "[" * 2000 + "]" * 2000 + "}", b'{"query": "{ shop { name \xff } }"}', "{}", '{"query": 1}',
], ids=["malformed", "a-string", "an-array-of-numbers", "null", "nested-2000-deep", "nested-inside",
        "not-utf-8", "no-query", "query-not-a-string"])
def test_a_malformed_body_is_a_bad_request(client, body):
    error = answer(client.post("/graphql/", body, content_type="application/json"), 400)
    assert error["extensions"] == {"code": "BAD_REQUEST"}


def test_an_unknown_operation_is_a_document_problem(client):
    body = {"query": "query A { shop { name } }", "operationName": "B"}
    error = answer(client.post("/graphql/", body, content_type="application/json"), 400)
    assert error["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"} and '"B"' in error["message"]


def test_a_mutation_over_get_is_method_not_allowed(client):
    response = client.get("/graphql/", {"query": "mutation { __typename }"})
    assert answer(response, 405)["extensions"] == {"code": "METHOD_NOT_ALLOWED"}
    assert response["Allow"] == "GET, POST"
    assert answer(client.put("/graphql/", "{}", content_type="application/json"), 405)["extensions"] == {
        "code": "METHOD_NOT_ALLOWED"}


def test_the_csrf_refusal_is_a_bad_request_in_the_graphql_shape(client):
    error = answer(client.post("/graphql/", {"query": "{ shop { name } }"}), 400)
    assert error["extensions"] == {"code": "BAD_REQUEST"} and "cross-site request forgery" in error["message"]


def test_without_graphiql_a_browsers_get_is_a_request_without_a_query():
    view = ApiView.as_view(schema=api_schema, graphql_ide=None)
    response = view(RequestFactory().get("/graphql/", HTTP_ACCEPT="text/html"))
    assert answer(response, 400)["extensions"] == {"code": "BAD_REQUEST"}


# --- Request ids and the body cap, on the ASGI application as deployed (project.gate in front of Django)

@strawberry.type
class Query:
    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("password=hunter2")


@csrf_exempt
def echo_length(request):
    return HttpResponse(str(len(request.body)))


urlpatterns = [
    path("graphql/", csrf_exempt(ApiView.as_view(schema=Schema(query=Query, extensions=api_schema.extensions),
                                                  graphql_ide=None))),
    path("webhooks/echo/", echo_length),
]


def over_asgi(requests):
    """Send (method, path, headers, body) requests to Gate(Django) with this module's URLs; their responses."""
    async def send_all():
        transport = httpx.ASGITransport(app=Gate(ASGIHandler()))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            return [await http.request(method, path, headers=headers, content=body)
                    for method, path, headers, body in requests]

    return asyncio.run(send_all())


@pytest.fixture
def gated(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    settings.REQUEST_MAX_BODY_BYTES, settings.REQUEST_MAX_UPLOAD_BYTES = 1000, 5000


def test_a_masked_error_has_the_request_id_of_the_answers_header(gated, caplog):
    json_headers = {"Content-Type": "application/json"}
    first, second = over_asgi([("POST", "/graphql/", json_headers, json.dumps({"query": "{ boom }"}))] * 2)
    (error,) = first.json()["errors"]
    assert error["message"] == "Unexpected error." and error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == first.headers["X-Request-Id"]
    assert second.headers["X-Request-Id"] != first.headers["X-Request-Id"]  # one per request
    assert any(first.headers["X-Request-Id"] in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_clients_own_request_id_is_not_taken(gated):
    (response,) = over_asgi([("GET", "/graphql/?query={__typename}", {"X-Request-Id": "forged\nline"}, b"")])
    assert response.status_code == 200 and len(response.headers["X-Request-Id"]) == 32
    assert response.headers.get_list("X-Request-Id") == [response.headers["X-Request-Id"]]


def test_a_body_over_the_cap_is_refused_from_its_content_length_before_it_is_read(gated):
    read = []

    async def refuse():
        async def receive():
            read.append(True)
            return {"type": "http.request", "body": b"x" * 1001, "more_body": False}

        sent = []

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/graphql/", "raw_path": b"/graphql/",
                 "query_string": b"", "root_path": "", "scheme": "http", "server": ("localhost", 80),
                 "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"),
                             (b"content-length", b"1001")]}
        await Gate(ASGIHandler())(scope, receive, send)
        return sent

    start, body = asyncio.run(refuse())
    assert start["status"] == 413 and read == []
    assert (b"x-request-id", dict(start["headers"])[b"x-request-id"]) in start["headers"]
    (error,) = json.loads(body["body"])["errors"]
    assert error["extensions"] == {"code": "REQUEST_TOO_LARGE", "maximum": 1000}


def test_uploads_and_webhooks_have_a_larger_cap_and_other_paths_a_plain_413(gated):
    webhook, too_big, other = over_asgi([
        ("POST", "/webhooks/echo/", {"Content-Type": "application/json"}, b"x" * 4000),
        ("POST", "/webhooks/echo/", {"Content-Type": "application/json"}, b"x" * 5001),
        ("POST", "/admin/login/", {"Content-Type": "application/x-www-form-urlencoded"}, b"x" * 1001),
    ])
    assert webhook.status_code == 200 and webhook.text == "4000"
    assert too_big.status_code == 413 and other.status_code == 413
    assert other.headers["Content-Type"].startswith("text/plain") and "1000 bytes" in other.text


def test_the_logs_keep_paths_without_tokens(client, caplog, db):  # db: the tracking page looks the token up
    caplog.set_level(logging.WARNING, logger="django.request")
    client.get(f"/orders/{TOKEN}/?token={TOKEN}")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert line == "Not Found: /orders/[token]/"


# --- A real daphne, as deployed

@pytest.mark.e2e
@pytest.mark.django_db
def test_daphne_refuses_big_and_chunked_bodies_quietly_and_logs_no_query_strings(
        django_db_setup, redis_key_prefix, tmp_path):
    env = {"REDIS_KEY_PREFIX": redis_key_prefix} if settings.REDIS_URL else {"REDIS_URL": ""}
    access_log, server_log = tmp_path / "access.log", tmp_path / "server.log"
    with open(server_log, "wb") as log:
        process, base = start_daphne(deployed_env(**env), log=log, args=("--access-log", str(access_log)))
    try:
        big = b'{"query": "{ shop { name } }", "padding": "' + b"x" * (5 * 1024 * 1024) + b'"}'
        sized = httpx.post(f"{base}/graphql/", content=big, headers={"Content-Type": "application/json"}, timeout=30)

        def chunks():
            for start in range(0, len(big), 64 * 1024):
                yield big[start:start + 64 * 1024]

        chunked = httpx.post(f"{base}/graphql/", content=chunks(), headers={"Content-Type": "application/json"},
                             timeout=30)
        query = httpx.get(f"{base}/graphql/", params={"query": "{ shop { name } }", "token": TOKEN}, timeout=10)
        missing = httpx.get(f"{base}/orders/{TOKEN}/", timeout=10)
    finally:
        stop(process)
    assert "content-length" not in chunked.request.headers  # sent chunked: counted as it came
    for response in (sized, chunked):
        assert response.status_code == 413 and response.headers["X-Request-Id"]
        assert response.json()["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE", "maximum": 1024 * 1024}
    assert query.status_code == 200 and query.headers["X-Request-Id"] and missing.status_code == 404
    logged = server_log.read_text()
    assert "Traceback" not in logged and "RequestDataTooBig" not in logged, logged[-3000:]
    lines = access_log.read_text().splitlines()
    assert sum('"POST /graphql/" 413' in line for line in lines) == 2, lines
    assert not any("?" in line or TOKEN in line for line in lines), lines
    assert any('"GET /orders/[token]/" 404' in line for line in lines), lines


def over_socket(base: str, head: bytes, body: bytes) -> tuple[bytes, dict, bytes]:
    """Send a request's head and the start of its body, and read the answer until the server closes, within a few
    seconds (a server waiting for the rest of the body fails this); its status line, headers and body."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(head + b"\r\n\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    return status, dict(line.lower().split(b": ", 1) for line in lines), body


@pytest.mark.e2e
@pytest.mark.django_db
def test_daphne_answers_a_body_over_the_cap_without_waiting_for_it_or_spooling_it(
        django_db_setup, redis_key_prefix, tmp_path):
    """Twisted reads a whole body before daphne calls the application; project.serve refuses it unread."""
    temp, server_log = tmp_path / "tmp", tmp_path / "server.log"
    temp.mkdir()
    env = {"REDIS_KEY_PREFIX": redis_key_prefix} if settings.REDIS_URL else {"REDIS_URL": ""}
    with open(server_log, "wb") as log:  # -v 2: Twisted's own errors reach the log too
        process, base = start_daphne(deployed_env(**env, TMPDIR=str(temp)), log=log, args=("-v", "2"))
    post = b"POST /graphql/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    try:
        declared = over_socket(base, post + b"Content-Length: 200000000\r\nExpect: 100-continue", b'{"query"')
        chunked = over_socket(base, post + b"Transfer-Encoding: chunked",  # 1.5 MB announced, 1.1 MB sent
                              b"%x\r\n" % 1_500_000 + b"x" * 1_100_000)
        under = httpx.post(f"{base}/graphql/", timeout=10, headers={"Content-Type": "application/json"},
                           content=iter([b'{"query": "{ shop { name } }", "padding": "', b"x" * 900_000, b'"}']))
    finally:
        stop(process)
    for status, headers, body in (declared, chunked):
        assert status == b"HTTP/1.1 413 Request Entity Too Large" and len(headers[b"x-request-id"]) == 32
        assert headers[b"content-type"] == b"application/json" and headers[b"connection"] == b"close"
        (error,) = json.loads(body)["errors"]
        assert error["extensions"] == {"code": "REQUEST_TOO_LARGE", "maximum": 1024 * 1024}
    assert under.status_code == 200 and under.json()["data"]["shop"]["name"]  # chunked, under the cap: as before
    assert list(temp.iterdir()) == []
    logged = server_log.read_text()
    assert "Traceback" not in logged and "Unhandled" not in logged, logged[-3000:]


def test_a_socket_operation_has_one_request_id_of_its_own(caplog):
    """An operation is a socket's request: the errors it masks, in the task its handler starts, share an id that
    no other operation has."""
    from graphql import GraphQLError

    from graph.transport.masking import masked
    from graph.transport.streaming import operation_extensions

    def unexpected() -> str:
        return masked(GraphQLError("boom", original_error=RuntimeError("boom"))).extensions["requestId"]

    async def operation():
        return unexpected(), await asyncio.to_thread(unexpected)  # on the loop, and in a thread as the ORM runs

    async def two_operations():
        tasks = []
        for operation_id in ("1", "2"):
            with operation_extensions({"id": operation_id, "type": "subscribe", "payload": {"query": "{ boom }"}}):
                tasks.append(asyncio.create_task(operation()))
        return await asyncio.gather(*tasks)

    (first, also_first), (second, _) = asyncio.run(two_operations())
    assert first == also_first != second and len(first) == 32
