"""A careless client's mistakes are answered as its own: BAD_USER_INPUT with graphql-core's message, never a
masked INTERNAL_SERVER_ERROR with a traceback in the log."""
import logging

import pytest

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
