"""A careless client's mistakes are answered as its own: BAD_USER_INPUT with graphql-core's message, never a
masked INTERNAL_SERVER_ERROR with a traceback in the log; validation messages say nothing of the schema's
types with DEBUG off; and tokens are never taken from a URL."""
import json
import logging

import pytest
from django.test import Client

from graph.schema import schema as api_schema
from tests.realtime.client import over_the_consumer

STOCK_SET = "mutation ($q: Int!) { variantStockSet(id: \"x\", quantity: $q) { errors { code } } }"
LINES_ADD = "mutation ($lines: [CartLineInput!]!) { cartLinesAdd(cartToken: \"t\", lines: $lines) { errors { code } } }"
NODE = "query ($id: ID!) { node(id: $id) { id } }"
NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }"

BAD_VARIABLES = [  # each once a masked INTERNAL_SERVER_ERROR, its traceback logged
    (STOCK_SET, {"q": "two"}),
    (STOCK_SET, {"q": 2**40}),  # beyond 32 bits
    (LINES_ADD, {"lines": [{"variantId": "x", "quantity": "two"}]}),
    (NODE, {}),  # a required variable missing
    (NODES, {"ids": [{"id": "x"}]}),
    (NODES, {"ids": [None]}),
    (NODES, {"ids": [["x"]]}),
    (NODES, {"ids": {"id": "x"}}),
]


def _no_traceback_logged(caplog):
    logged = [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]
    assert logged == [], [record.getMessage() for record in logged]


@pytest.mark.parametrize(("query", "variables"), BAD_VARIABLES)
def test_a_variable_of_the_wrong_type_or_shape_is_bad_user_input_over_http(gql, settings, caplog, query, variables):
    settings.DEBUG = False
    answer = gql(query, variables)
    assert answer.codes == ["BAD_USER_INPUT"] and answer.data is None
    assert answer.errors[0]["message"].startswith("Variable '$")  # graphql-core's own message
    _no_traceback_logged(caplog)


def test_a_variable_of_the_wrong_type_or_shape_is_bad_user_input_over_a_websocket(settings, caplog):
    settings.DEBUG = False
    answers = over_the_consumer(*({"query": query, "variables": variables} for query, variables in BAD_VARIABLES))
    for answer in answers:
        assert answer["type"] == "error", answer
        (error,) = answer["payload"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["message"].startswith("Variable '$")
    _no_traceback_logged(caplog)


NOT_DECIMALS = ["NaN", "Infinity", "-Infinity", "1e1000000", "-1e1000000", "sNaN", "10000000000", "1e-1000000",
                "0.0000000000001", "abc"]
PRICED = "query ($f: ProductFilter) { products(filter: $f) { totalCount } }"


@pytest.mark.parametrize("value", NOT_DECIMALS)
def test_a_non_finite_or_out_of_range_decimal_is_bad_user_input(gql, settings, caplog, value):
    """A Decimal the database cannot hold: "NaN" or "1e1000000" once failed in the query as a server error."""
    settings.DEBUG = False
    assert gql(PRICED, {"f": {"priceMin": value}}).codes == ["BAD_USER_INPUT"]
    assert gql(f'{{ products(filter: {{priceMax: "{value}"}}) {{ totalCount }} }}').codes == ["BAD_USER_INPUT"]
    refund = f'mutation {{ orderRefund(id: "x", amount: "{value}") {{ errors {{ code }} }} }}'  # a money input
    assert gql(refund).codes == ["BAD_USER_INPUT"]
    _no_traceback_logged(caplog)


def test_a_decimal_up_to_what_a_price_column_holds_is_taken(gql):
    for value in ["9999999999.99", "-9999999999.99", "0.000000000001", "1.5000000000000000000", "12.5"]:
        assert gql(PRICED, {"f": {"priceMin": value}}).ok() == {"products": {"totalCount": 0}}
    assert gql(PRICED, {"f": {"priceMin": 12.5}}).ok() == {"products": {"totalCount": 0}}  # a JSON number too
    refused = gql(PRICED, {"f": {"priceMin": "NaN"}}).errors[0]["message"]
    assert refused.endswith('Not a decimal number below 10^10 with at most 12 decimal places: "NaN".')


INVALID_DOCUMENTS = [
    "{ shop }",  # Field 'shop' of type 'Shop!' must have a selection of subfields
    "{ shop { name { length } } }",  # ... since type 'String!' has no subfields
    "{ shop { nope } }",  # Cannot query field 'nope' on type 'Shop'
    "{ products { edges { node { nope } } } }",
    "{ products(nope: 1) { totalCount } }",  # Unknown argument 'nope' on field 'Query.products'
    "{ node { id } }",  # Argument 'Query.node(id:)' of type 'ID!' is required
    "subscription { orderUpdated { order { number } } }",
    "{ products { edges { node { a: name a: rating { count } } } } }",  # conflicting types 'String!' and 'Rating'
    "{ shop { ... on Product { name } } }",  # objects of type 'Shop' can never be of type 'Product'
    "query ($n: Boolean) { products(first: $n) { totalCount } }",  # ... expecting type 'Int'
    'mutation { variantStockSet(id: "x", quantity: "two") { errors { code } } }',  # Int cannot represent ...
    '{ products(filter: {priceMin: "NaN"}) { totalCount } }',  # ... a Decimal
    "{ products(filter: {nope: 1}) { totalCount } }",  # Field 'nope' is not defined by type 'ProductFilter'
    "{ products(sort: {direction: ASC}) { totalCount } }",  # Field 'ProductSort.field' of required type ...
    "{ products(sort: {field: 3}) { totalCount } }",  # Enum 'ProductSortField' cannot represent ...
    "{ products(first: \"x\") { totalCount } }",
]
NAME_CHARACTERS = "_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _names(text: str) -> set[str]:
    return set("".join(c if c in NAME_CHARACTERS else " " for c in text).split())


def test_with_debug_off_validation_messages_name_no_type_the_document_does_not(gql, settings):
    """clairvoyance recovered 32 types and 103 fields from messages such as "Field 'shop' of type 'Shop!' must
    have a selection of subfields", with introspection off: each now says only what the client wrote."""
    settings.DEBUG, settings.GRAPHQL_GENERIC_VALIDATION_MESSAGES = False, True
    type_names = set(api_schema._schema.type_map)
    for document in INVALID_DOCUMENTS:
        answer = gql(document)
        assert answer.status in (200, 400) and answer.errors, document
        assert set(answer.codes) <= {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}, (document, answer.errors)
        for error in answer.errors:
            named = _names(error["message"]) & type_names - _names(document)
            assert named == set(), (document, error["message"])
            if error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED":
                assert error["locations"], error  # the client still learns where
    assert gql("{ shop }").errors[0]["message"] == "Field 'shop' must have a selection of subfields."
    assert gql("{ shop { nope } }").errors[0]["message"] == "Cannot query field 'nope' here."
    assert gql("{ node { id } }").errors[0]["message"] == "Field 'node' is missing a required argument."


def test_names_the_client_wrote_stay_in_the_message(gql, settings):
    settings.DEBUG, settings.GRAPHQL_GENERIC_VALIDATION_MESSAGES = False, True
    assert gql(NODE, {}).errors[0]["message"] == (
        "Variable '$id' has invalid value: Expected a value of non-null type 'ID!' to be provided.")
    spread = gql("{ shop { ... on Product { name } } }").errors[0]["message"]
    assert spread == "Fragment on type 'Product' cannot be spread here."


def test_with_debug_on_validation_messages_are_graphql_cores(gql, settings):
    settings.DEBUG, settings.GRAPHQL_GENERIC_VALIDATION_MESSAGES = True, False
    assert gql("{ shop }").errors[0]["message"] == "Field 'shop' of type 'Shop!' must have a selection of subfields."


def test_over_a_websocket_validation_messages_are_generic_too(settings):
    settings.DEBUG, settings.GRAPHQL_GENERIC_VALIDATION_MESSAGES = False, True
    (answer,) = over_the_consumer("{ shop }")
    assert answer["payload"][0]["message"] == "Field 'shop' must have a selection of subfields."


def _get(query: str, variables: dict):
    http = Client().get("/graphql/", {"query": query, "variables": json.dumps(variables)})
    return http, http.json()


@pytest.mark.parametrize("query", [
    "query ($t: String!) { order(token: $t) { number } }",
    "query ($t: String!, $id: ID) { order(id: $id, token: $t) { number } }",
    "query ($t: String!) { cart(token: $t) { id } }",
])
def test_a_token_is_refused_over_get_where_it_would_land_in_access_logs(gql, query):
    http, body = _get(query, {"t": "a-guests-secret-token"})
    assert http.status_code == 405 and http["Allow"] == "POST"
    assert [error["extensions"]["code"] for error in body["errors"]] == ["METHOD_NOT_ALLOWED"]
    assert "no-store" in http["Cache-Control"]
    assert gql(query, {"t": "a-guests-secret-token"}).ok()  # over POST: found or not, answered


def test_queries_without_a_token_still_work_over_get(db):
    http, body = _get("query ($id: ID!) { order(id: $id) { number } }", {"id": "T3JkZXI6MQ=="})
    assert http.status_code == 200 and body == {"data": {"order": None}, "extensions": body["extensions"]}
