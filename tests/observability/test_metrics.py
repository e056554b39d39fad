"""`/metrics`: who may read it, and that what it reports moves when the shop works: operations by registered name
(any other name is "other"), the response cache, payment webhooks, jobs and their queues, HTTP and websockets."""
from django.test import Client, override_settings
from prometheus_client import REGISTRY

from project.observability.metrics import route_of
from tests.fake_stripe import event, signed

CATALOG = "query CatalogPage { products(first: 2) { edges { node { name } } } }"


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(**headers) -> str:
    response = Client().get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=[])
def test_without_a_token_or_an_allowlist_there_is_no_endpoint(db):
    assert Client().get("/metrics").status_code == 404


@override_settings(METRICS_TOKEN="s3cret-scrape-token", METRICS_ALLOWED_IPS=[])
def test_the_token_opens_it_and_nothing_else_does(db):
    client = Client()
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-scrape-token").status_code == 403
    assert "commerce_graphql_operations" in scrape(HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert client.post("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 405


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=["10.0.0.0/8", "2001:db8::1"], TRUSTED_PROXY_HOPS=1)
def test_the_allowlist_admits_its_networks_as_the_trusted_proxy_reports_them(db):
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.9.8.7", REMOTE_ADDR="192.0.2.1").status_code == 200
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="2001:db8::1").status_code == 200
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.9.8.7, 203.0.113.5").status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="not-an-address").status_code == 403


@override_settings(METRICS_TOKEN="t", METRICS_OPERATION_NAMES=["CatalogPage"])
def test_operations_count_by_registered_name_and_other_names_are_other(gql, make_product):
    make_product("Shirt")
    ok = dict(operation="CatalogPage", type="query", outcome="ok")
    before, others = sample("commerce_graphql_operations_total", **ok), sample(
        "commerce_graphql_operations_total", operation="other", type="query", outcome="ok")
    gql(CATALOG).ok()
    gql(CATALOG.replace("CatalogPage", "AttackerChosenName1")).ok()
    gql(CATALOG.replace("CatalogPage", "AttackerChosenName2")).ok()
    assert sample("commerce_graphql_operations_total", **ok) == before + 1
    assert sample("commerce_graphql_operations_total", operation="other", type="query", outcome="ok") == others + 2
    text = scrape(HTTP_AUTHORIZATION="Bearer t")
    assert "AttackerChosenName" not in text
    assert 'commerce_graphql_operation_duration_seconds_count{operation="CatalogPage",type="query"}' in text


@override_settings(METRICS_OPERATION_NAMES=["Broken"])
def test_errors_count_by_operation_and_code(gql):
    before = sample("commerce_graphql_errors_total", operation="Broken", code="GRAPHQL_VALIDATION_FAILED")
    assert gql("query Broken { noSuchField }").codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert sample("commerce_graphql_errors_total", operation="Broken", code="GRAPHQL_VALIDATION_FAILED") == before + 1
    assert sample("commerce_graphql_operations_total", operation="Broken", type="query", outcome="error") >= 1


def test_the_response_cache_counts_its_misses_and_hits(transactional_db, gql):
    hits, misses = sample("commerce_response_cache_lookups_total", outcome="hit"), sample(
        "commerce_response_cache_lookups_total", outcome="miss")
    assert [gql("{ shop { name } }").json["extensions"]["cache"] for _ in range(2)] == ["MISS", "HIT"]
    assert sample("commerce_response_cache_lookups_total", outcome="miss") == misses + 1
    assert sample("commerce_response_cache_lookups_total", outcome="hit") == hits + 1


def test_payment_webhooks_count_by_gateway_and_outcome(db):
    def count(gateway, outcome):
        return sample("commerce_payment_webhooks_total", gateway=gateway, outcome=outcome)

    before = {key: count(*key) for key in [("stripe", "recorded"), ("stripe", "duplicate"), ("stripe", "invalid"),
                                          ("other", "unknown_gateway")]}
    body, signature = signed(event("customer.created", {"id": "cus_1"}))
    client = Client()

    def post(path, sig):
        return client.post(path, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sig)

    assert [post("/webhooks/stripe/", signature).status_code for _ in range(2)] == [200, 200]
    assert post("/webhooks/stripe/", signature.replace("v1=", "v1=0")).status_code == 400
    assert post("/webhooks/made-up-gateway-name/", signature).status_code == 404
    assert {key: count(*key) - before[key] for key in before} == {
        ("stripe", "recorded"): 1, ("stripe", "duplicate"): 1, ("stripe", "invalid"): 1,
        ("other", "unknown_gateway"): 1}
    assert sample("commerce_payment_webhooks_total", gateway="made-up-gateway-name", outcome="unknown_gateway") == 0


@override_settings(METRICS_TOKEN="t")
def test_jobs_count_their_runs_and_the_queues_are_read_at_the_scrape(jobs):
    actor = "process_payment_event"
    before = sample("commerce_jobs_total", actor=actor, outcome="succeeded")
    body, signature = signed(event("customer.created", {"id": "cus_2"}))
    assert Client().post("/webhooks/stripe/", body, content_type="application/json",
                         HTTP_STRIPE_SIGNATURE=signature).status_code == 200
    jobs.run()
    assert sample("commerce_jobs_total", actor=actor, outcome="succeeded") == before + 1
    assert sample("commerce_job_duration_seconds_count", actor=actor) >= 1
    text = scrape(HTTP_AUTHORIZATION="Bearer t")
    assert 'commerce_job_queue_depth{queue="default",state="ready"} 0.0' in text
    assert 'commerce_job_queue_depth{queue="default",state="delayed"}' in text


def test_http_requests_are_counted_by_route_group_never_by_path():
    assert [route_of(path) for path in ("/graphql/", "/webhooks/x/", "/orders/abc/", "/healthz", "/wp-login.php",
                                        "/")] == ["graphql", "webhooks", "orders", "health", "other", "other"]


def test_websockets_are_counted_while_open_and_http_by_route_and_status():
    """project.asgi's outermost layer, around an application that accepts a socket and answers a request."""
    import asyncio

    from project.observability.metrics import Measured

    async def app(scope, receive, send):
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            await receive()  # until the client leaves
        else:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})

    async def nothing(message):
        pass

    async def scenario():
        left = asyncio.Event()

        async def receive():
            await left.wait()
            return {"type": "websocket.disconnect"}

        opened = sample("commerce_websocket_connections")
        socket = asyncio.create_task(Measured(app)({"type": "websocket", "path": "/graphql/"}, receive, nothing))
        await asyncio.sleep(0.05)
        during = sample("commerce_websocket_connections")
        left.set()
        await asyncio.wait_for(socket, 5)
        await Measured(app)({"type": "http", "path": "/wp-login.php", "method": "BREW"}, receive, nothing)
        return opened, during, sample("commerce_websocket_connections")

    http_before = sample("commerce_http_requests_total", route="other", method="OTHER", status="404")
    opened, during, after = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert (during - opened, after - opened) == (1, 0)
    assert sample("commerce_http_requests_total", route="other", method="OTHER", status="404") == http_before + 1


@override_settings(METRICS_OPERATION_NAMES=["Missing"])
def test_documents_that_do_not_parse_or_name_no_operation_are_counted_as_unknown(gql, client):
    before = sample("commerce_graphql_errors_total", operation="anonymous", code="GRAPHQL_PARSE_FAILED")
    assert gql("{ products ").codes == ["GRAPHQL_PARSE_FAILED"]
    assert sample("commerce_graphql_errors_total", operation="anonymous", code="GRAPHQL_PARSE_FAILED") == before + 1
    assert sample("commerce_graphql_operations_total", operation="anonymous", type="unknown", outcome="error") >= 1
    answer = client.post("/graphql/", {"query": "query A { shop { name } }", "operationName": "Missing"},
                         content_type="application/json")
    assert answer.json()["errors"][0]["extensions"]["code"] != "INTERNAL_SERVER_ERROR"
