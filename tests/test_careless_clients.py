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
