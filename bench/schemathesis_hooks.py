"""schemathesis strategies for our custom scalars, so a fuzz run of schema.graphql reaches past them: Decimal gets
decimal strings, the odd ones included ("NaN", "1e1000000", "-0", huge, many places), DateTime ISO strings (some
naive, some odd) and JSON any JSON value. A tool run by hand against a deployed server, not a test.

schemathesis is not a project dependency: install it in a venv of its own, outside the repo (4.x; run with 4.32.5):

    python3.11 -m venv /tmp/st-venv && /tmp/st-venv/bin/pip install schemathesis

Serve the worktree as deployed (DEBUG off, PostgreSQL, Redis, throttling off, the demo gateway), seeded:

    export DJANGO_SETTINGS_MODULE=project.settings DEBUG=0 SECRET_KEY=fuzz ALLOWED_HOSTS=127.0.0.1,localhost \\
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/commerce_fuzz REDIS_URL=redis://127.0.0.1:6379/11 \\
        GRAPHQL_THROTTLE_MAXIMUM=0 AUTH_THROTTLE_MAXIMUM=100000 AUTH_THROTTLE_PER_MINUTE=100000 PAYMENTS_DEMO=1
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py collectstatic --noinput
    .venv/bin/python manage.py seed_catalog --products 50 && .venv/bin/python manage.py seed_checkout
    .venv/bin/python -m project.serve -b 127.0.0.1 -p 8765 project.asgi:application > /tmp/fuzz.log 2>&1

Then, anonymously and again with a staff user's access token (tokenCreate) as `-H "Authorization: Bearer ..."`:

    SCHEMATHESIS_HOOKS=bench/schemathesis_hooks.py /tmp/st-venv/bin/schemathesis run schema.graphql \\
        --url http://127.0.0.1:8765/graphql/ --checks not_a_server_error --max-time 240 --workers 2 \\
        --generation-database none --report ndjson --report-dir /tmp/fuzz-report   # its crash cache: .schemathesis/

Random IDs and strings stop at "not a valid ID" before any service runs; to reach past that, give the hook a JSON
file of values taken from the server (real IDs, slugs, a cart's and an order's token), `{"ids": [...], "strings":
[...]}`, as SCHEMATHESIS_KNOWN_VALUES=path: a third of IDs and Strings are then drawn from it.

Its `not_a_server_error` check fails on a 5xx and on any error entry with a `path` (ST113), so also on the
contract's FORBIDDEN and UNAUTHENTICATED answers to an anonymous caller: those are expected. What is not: a 5xx, an
`INTERNAL_SERVER_ERROR` code in a response (the ndjson report keeps every response, base64-encoded under
`content`), and "Unexpected error" or "Traceback" in the server's log.
"""
import json
import os
from pathlib import Path

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# Plain amounts, the edges of what the scalar admits (below 10^10, 12 places) and just past them, and what
# Python's Decimal parses but no column holds.
_ODD_DECIMALS = st.sampled_from([
    "NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e1000000", "-1e1000000", "1e-1000000", "-0", "0",
    "0.000000000001", "0.0000000000001", "9999999999.999999999999", "10000000000", "-9999999999.99",
    "1E+3", "1e2", " 1", "1 ", "", "1,5", "0x10", "١٢٣", "12.50", "-12.50", "1_000", "+5", ".5", "5.",
    "9" * 400, "0." + "1" * 400,
])
_DECIMALS = st.one_of(
    _ODD_DECIMALS,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(min_value=-10**12, max_value=10**12, places=2).map(str),
    st.integers().map(str),
    st.floats().map(repr),
)
schemathesis.graphql.scalar("Decimal", _DECIMALS.map(nodes.String))

_DATETIMES = st.one_of(
    st.datetimes().map(lambda value: value.isoformat()),
    st.datetimes().map(lambda value: value.isoformat() + "Z"),
    st.dates().map(str),
    st.sampled_from(["", "now", "2024-02-30T00:00:00", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00",
                     "2024-01-01T25:00:00", "2024-13-01"]),
)
schemathesis.graphql.scalar("DateTime", _DATETIMES.map(nodes.String))


def _json_node(leaves: st.SearchStrategy) -> st.SearchStrategy:
    """Any JSON value as a GraphQL literal: objects, lists and the scalars, a few levels deep."""
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4).map(nodes.List),
            st.dictionaries(st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,10}\Z"), children, max_size=4).map(
                lambda fields: nodes.Object([graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=value)
                                             for key, value in fields.items()])
            ),
        ),
        max_leaves=12,
    )


_JSON_LEAVES = st.one_of(
    st.just(nodes.Null),
    st.booleans().map(nodes.Boolean),
    st.integers().map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    st.text(max_size=20).map(nodes.String),
)
schemathesis.graphql.scalar("JSON", _json_node(_JSON_LEAVES))


def _known(kind: str, random: st.SearchStrategy) -> st.SearchStrategy:
    """`random` and, when SCHEMATHESIS_KNOWN_VALUES names a file, a third of the time one of its `kind` values."""
    path = os.environ.get("SCHEMATHESIS_KNOWN_VALUES")
    values = json.loads(Path(path).read_text())[kind] if path else []
    return st.one_of(random, random, st.sampled_from(values)) if values else random


if os.environ.get("SCHEMATHESIS_KNOWN_VALUES"):
    schemathesis.graphql.scalar("ID", _known("ids", st.text(max_size=20)).map(nodes.String))
    schemathesis.graphql.scalar("String", _known("strings", st.text(max_size=40)).map(nodes.String))
