"""Every cap refuses a hostile document before any resolver runs, with its code, the limit and the value.

The proof is a schema of tripwires: the API's own view and extensions in front of resolvers that write down
that they ran. A refused operation leaves the list empty; the control at the top shows the wires work.
"""
import json

import pytest
import strawberry
from django.test import RequestFactory
from strawberry.extensions import SchemaExtension

from graph.schema import Schema
from graph.schema import schema as api_schema
from graph.transport.views import ApiView
from tests.realtime.client import over_the_consumer

RAN: list[str] = []


@strawberry.type
class Item:
    @strawberry.field
    def name(self) -> str:
        RAN.append("name")
        return "wire"

    @strawberry.field
    def child(self) -> "Item":
        RAN.append("child")
        return Item()

    @strawberry.field
    def items(self, first: int | None = None, last: int | None = None) -> "ItemConnection":
        RAN.append("items")
        return ItemConnection(edges=[], total_count=0)


@strawberry.type
class ItemEdge:
    node: Item


@strawberry.type
class ItemConnection:
    edges: list[ItemEdge]
    total_count: int


@strawberry.type
class Query:
    @strawberry.field
    def item(self, text: str | None = None, tags: list[str] | None = None) -> Item:
        RAN.append("item")
        return Item()

    @strawberry.field
    def items(self, first: int | None = None, last: int | None = None) -> ItemConnection:
        RAN.append("items")
        return ItemConnection(edges=[], total_count=0)

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("password=hunter2 at db.internal:5432")


class BrokenHook(SchemaExtension):
    """An extension whose hook fails, as a bug in ours could: Strawberry would report the exception's text."""

    def on_execute(self):
        if "brokenHook" in (self.execution_context.query or ""):
            raise RuntimeError("secret in a hook: token=abc123")
        yield


tripwires = Schema(query=Query, extensions=[*api_schema.extensions, BrokenHook])
view = ApiView.as_view(schema=tripwires, graphql_ide=None)


def post(query: str, variables: dict | None = None, **extra):
    request = RequestFactory().post(
        "/graphql/", json.dumps({"query": query, "variables": variables or {}}), content_type="application/json",
        **extra,
    )
    return view(request)


def refused(query: str, variables: dict | None = None) -> dict:
    RAN.clear()
    response = post(query, variables)
    body = json.loads(response.content)
    assert RAN == [], f"a resolver ran for a refused document: {RAN}"
    assert body["data"] is None and len(body["errors"]) == 1, body
    return body["errors"][0]


@pytest.fixture(autouse=True)
def _clean():
    RAN.clear()


def test_the_tripwires_work():
    body = json.loads(post("{ item { name child { name } } }").content)
    assert body["data"] == {"item": {"name": "wire", "child": {"name": "wire"}}}
    assert RAN == ["item", "name", "child", "name"]


def nested(depth: int) -> str:
    """`{ item { child { ... { name } } } }`, `depth` fields deep."""
    return "{ " + " { ".join(["item", *["child"] * (depth - 2), "name"]) + " }" * depth


def test_depth(settings):
    assert settings.GRAPHQL_MAX_DEPTH == 12
    post(nested(12))
    assert RAN
    error = refused(nested(13))
    assert error["extensions"] == {"code": "MAX_DEPTH_EXCEEDED", "maximum": 12, "value": 13}


def test_depth_through_fragments():
    fragments = " ".join(f"fragment F{i} on Item {{ child {{ ...F{i + 1} }} }}" for i in range(12))
    error = refused("{ item { ...F0 } } " + fragments + " fragment F12 on Item { name }")
    assert error["extensions"]["code"] == "MAX_DEPTH_EXCEEDED"


def test_aliases(settings):
    assert settings.GRAPHQL_MAX_ALIASES == 15
    error = refused("{ " + " ".join(f"a{i}: item {{ name }}" for i in range(16)) + " }")
    assert error["extensions"] == {"code": "MAX_ALIASES_EXCEEDED", "maximum": 15, "value": 16}


def test_tokens(settings):
    assert settings.GRAPHQL_MAX_TOKENS == 2000
    error = refused("{ item(tags: [" + ", ".join(['"t"'] * 2000) + "]) { name } }")
    assert error["extensions"] == {"code": "MAX_TOKENS_EXCEEDED", "maximum": 2000, "value": 2001}
    comments = refused("{ item { name } }" + "\n#" * 2500)  # comments count: a flood of them is refused too
    assert comments["extensions"]["code"] == "MAX_TOKENS_EXCEEDED"


def test_document_size_in_bytes(settings):
    """One comment is one token: a document's bytes are capped before anything else reads it."""
    assert settings.GRAPHQL_MAX_DOCUMENT_BYTES == 32 * 1024
    query = "{ item { name } } #"
    post(query + "x" * (32 * 1024 - len(query)))  # exactly at the limit: it runs
    assert RAN == ["item", "name"]
    padded = query + "\u00e9" * 17_000  # 17,000 characters, 34,000 bytes in UTF-8
    error = refused(padded)
    assert error["extensions"] == {"code": "MAX_TOKENS_EXCEEDED", "maximum": 32 * 1024,
                                   "value": len(padded.encode())}
    assert "bytes" in error["message"]


def test_fields_with_duplicates_are_counted_before_validation(settings):
    settings.GRAPHQL_MAX_FIELDS = 300
    error = refused("{ item { " + "name " * 900 + "} }")
    assert error["extensions"] == {"code": "MAX_FIELDS_EXCEEDED", "maximum": 300, "value": 301}


def test_directives_on_one_field(settings):
    assert settings.GRAPHQL_MAX_DIRECTIVES == 4
    error = refused("{ item { name" + " @include(if: true)" * 5 + " } }")
    assert error["extensions"] == {"code": "MAX_DIRECTIVES_EXCEEDED", "maximum": 4, "value": 5}


def test_page_size():
    error = refused("{ items(first: 101) { totalCount } }")
    assert error["extensions"] == {"code": "PAGE_SIZE_EXCEEDED", "maximum": 100, "requested": 101}


def test_cost():
    page = "items(first: 100) { edges { node { %s } } }"
    error = refused("{ " + page % (page % page % "name") + " }")
    assert error["extensions"] == {"code": "MAX_COST_EXCEEDED", "maximum": 1000, "value": 1 + 2 + 100 * (2 + 100 * 2)}


def test_input_lists_and_strings(settings):
    assert settings.GRAPHQL_MAX_INPUT_LIST_LENGTH == 100
    listed = refused("query($tags: [String!]) { item(tags: $tags) { name } }", {"tags": ["t"] * 101})
    assert listed["extensions"] == {"code": "BAD_USER_INPUT", "maximum": 100, "value": 101}
    literal = refused("{ item(tags: [" + ", ".join(['"t"'] * 101) + "]) { name } }")
    assert literal["extensions"] == {"code": "BAD_USER_INPUT", "maximum": 100, "value": 101}
    settings.GRAPHQL_MAX_STRING_LENGTH = 1000
    long = refused("query($text: String) { item(text: $text) { name } }", {"text": "x" * 1001})
    assert long["extensions"] == {"code": "BAD_USER_INPUT", "maximum": 1000, "value": 1001}


def test_throttled_before_running(settings):
    settings.GRAPHQL_THROTTLE_MAXIMUM = 2
    error = refused("{ items(first: 5) { edges { node { name } } } }")  # costs 1 + 2, in a bucket of 2
    assert error["extensions"]["code"] == "THROTTLED" and error["extensions"]["retryAfter"] >= 1


def test_a_batch_is_refused_before_running():
    RAN.clear()
    request = RequestFactory().post("/graphql/", json.dumps([{"query": "{ item { name } }"}] * 10),
                                    content_type="application/json")
    response = view(request)
    assert response.status_code == 400 and RAN == []
    (error,) = json.loads(response.content)["errors"]
    assert error["extensions"] == {"code": "BATCH_NOT_ALLOWED", "maximum": 1, "value": 10}


def test_field_suggestions_are_not_given():
    error = refused("{ item { nam } }")
    assert error["message"] == "Cannot query field 'nam' on type 'Item'."
    argument = refused("{ item(txt: \"a\") { name } }")
    assert "Did you mean" not in argument["message"]


def test_introspection_follows_its_setting(settings):
    settings.GRAPHQL_INTROSPECTION = False
    body = json.loads(post("{ __schema { types { name } } }").content)
    assert body["data"] is None and body["errors"]
    assert all(e["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED" for e in body["errors"])
    assert "introspection has been disabled" in body["errors"][0]["message"]
    settings.GRAPHQL_INTROSPECTION = True
    body = json.loads(post("{ __schema { queryType { name } } }").content)
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


def test_introspection_has_a_depth_cap_of_its_own(settings):
    """Deeper than queries may go, as far as the standard introspection query needs, and no further."""
    from graphql import get_introspection_query

    settings.GRAPHQL_INTROSPECTION = True
    assert settings.GRAPHQL_MAX_INTROSPECTION_DEPTH == 15
    standard = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                       schema_description=True, input_value_deprecation=True)
    assert json.loads(post(standard).content)["data"]["__schema"]["queryType"]["name"] == "Query"
    circular = "{ __schema { types { fields { type { " + "ofType { " * 12 + "name" + " }" * 16 + " }"
    error = refused(circular)
    assert error["extensions"] == {"code": "MAX_DEPTH_EXCEEDED", "maximum": 15, "value": 16}
    by_name = refused('{ t: __type(name: "Item") { fields { type { ' + "ofType { " * 13 + "name" + " }" * 16 + " }")
    assert by_name["extensions"] == {"code": "MAX_DEPTH_EXCEEDED", "maximum": 15, "value": 16}


def test_introspection_under_another_name_is_refused_too(settings):
    settings.GRAPHQL_INTROSPECTION = False
    for query in ('{ __type(name: "Query") { name } }', "{ s: __schema { queryType { name } } }",
                  '{ t: __type(name: "Item") { fields { name } } }'):
        body = json.loads(post(query).content)
        assert body["data"] is None and body["errors"], query
        assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
        assert "introspection has been disabled" in body["errors"][0]["message"]


def test_unexpected_errors_are_masked_over_http(settings, caplog):
    settings.DEBUG = False
    for query in ("{ boom }", "{ brokenHook: item { name } }"):
        response = post(query)
        text = response.content.decode()
        assert "hunter2" not in text and "abc123" not in text and "Traceback" not in text, text
        (error,) = json.loads(text)["errors"]
        assert error["message"] == "Unexpected error."
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        assert any(error["extensions"]["requestId"] in r.getMessage() and r.exc_info for r in caplog.records)


def test_refused_documents_are_logged_short(caplog):
    caplog.set_level("INFO", logger="strawberry.execution")
    refused("{ item { " + "nope" * 5000 + " } }")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "strawberry.execution"]
    assert len(line) < 500 and "nope" in line


CSRF_REFUSAL = b"refused to prevent cross-site request forgery"
REGISTER = 'mutation { accountRegister(input: {email: "csrf@example.com", password: "a-long-password-1"}) { errors { code } } }'


def test_a_post_a_cross_site_form_could_send_is_refused_by_the_csrf_gate(client, db):
    """Form and text/plain bodies are what a page on another site can POST without a preflight: the gate refuses
    them before anything reads the body, whatever the content type (not only the ones Strawberry would parse)."""
    from commerce.accounts.models import User

    form = client.post("/graphql/", {"query": REGISTER})
    text = client.post("/graphql/", json.dumps({"query": REGISTER}), content_type="text/plain")
    for response in (form, text):
        assert response.status_code == 400 and CSRF_REFUSAL in response.content
    assert not User.objects.filter(email="csrf@example.com").exists()


def test_the_csrf_gate_lets_a_preflighted_request_through():
    """A content type that is not application/json but that Strawberry reads as JSON runs only with a header a
    cross-site form cannot set (Apollo's csrfPrevention headers)."""
    def send(**headers):
        RAN.clear()
        request = RequestFactory().post("/graphql/", json.dumps({"query": "{ item { name } }"}),
                                        content_type="application/json-seq", **headers)
        return view(request)

    refused = send()
    assert refused.status_code == 400 and CSRF_REFUSAL in refused.content and RAN == []
    for header in ("HTTP_APOLLO_REQUIRE_PREFLIGHT", "HTTP_X_APOLLO_OPERATION_NAME"):
        preflighted = send(**{header: "true"})
        assert json.loads(preflighted.content)["data"] == {"item": {"name": "wire"}} and RAN == ["item", "name"]
    # Past the gate, a body Strawberry cannot read is still refused, and nothing runs.
    RAN.clear()
    plain = view(RequestFactory().post("/graphql/", json.dumps({"query": "{ item { name } }"}),
                                       content_type="text/plain", HTTP_APOLLO_REQUIRE_PREFLIGHT="true"))
    assert plain.status_code == 400 and CSRF_REFUSAL not in plain.content and RAN == []


def test_a_mutation_over_get_is_refused_and_does_not_run(client, db):
    from commerce.accounts.models import User

    response = client.get("/graphql/", {"query": REGISTER})
    assert response.status_code == 405 and b'"data"' not in response.content  # the contract's METHOD_NOT_ALLOWED
    assert not User.objects.filter(email="csrf@example.com").exists()


def test_nul_characters_are_bad_input_not_a_database_error():
    """Found by schemathesis: PostgreSQL refuses NUL in text, which surfaced as INTERNAL_SERVER_ERROR."""
    literal = refused('{ item(text: "a\\u0000b") { name } }')
    assert literal["extensions"] == {"code": "BAD_USER_INPUT"}
    variable = refused("query($tags: [String!]) { item(tags: $tags) { name } }", {"tags": ["ok", "a\x00b"]})
    assert variable["extensions"] == {"code": "BAD_USER_INPUT"}


# --- The API's own schema, with its per-process parse and validation caches


@pytest.mark.parametrize(("query", "code"), [
    ("{ " + " ".join(f"a{i}: products(first: 1) {{ totalCount }}" for i in range(16)) + " }", "MAX_ALIASES_EXCEEDED"),
    ('{ category(slug: "x") { ' + "parent { " * 11 + "name" + " }" * 11 + " } }", "MAX_DEPTH_EXCEEDED"),
    ("{ products(first: 1) { totalCount } __schema { queryType { name } } }", "GRAPHQL_VALIDATION_FAILED"),
])
def test_the_api_refuses_each_cap_again_when_the_document_is_cached(gql, settings, query, code):
    """The second sending finds the document parsed and validated in the caches, and is refused all the same,
    before a resolver runs (any of them would query the database)."""
    settings.GRAPHQL_INTROSPECTION = False
    for _ in range(2):
        response = gql(query)
        assert response.data is None and set(response.codes) == {code} and response.queries == 0


def test_refusals_before_parsing_are_answered_over_websockets():
    """Strawberry let an exception from a hook before parsing escape its stream: the client heard nothing."""
    big, wide = over_the_consumer("{ shop { name } } #" + "x" * 40_000,
                                  "{ " + " ".join(f"a{i}: shop {{ name }}" for i in range(16)) + " }")
    assert big["type"] == wide["type"] == "error"
    assert big["payload"][0]["extensions"]["code"] == "MAX_TOKENS_EXCEEDED"
    assert wide["payload"][0]["extensions"]["code"] == "MAX_ALIASES_EXCEEDED"
