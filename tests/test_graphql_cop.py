"""The checks graphql-cop (dolevf/graphql-cop, not on PyPI) makes, sent as it sends them to a deployed server
(daphne, DEBUG off), each judged as graphql-cop judges it: every one must come back clean.

GET queries are allowed on purpose (graphql-cop reports them as a possible CSRF): they run queries only, no
cookie signs anyone in, and they are what lets a CDN cache persisted catalog queries.
"""
import httpx
import pytest
from django.conf import settings

from tests.servers import deployed_env, start_daphne, stop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


@pytest.fixture(scope="module")
def url(django_db_setup, redis_key_prefix):
    env = {"REDIS_KEY_PREFIX": redis_key_prefix} if settings.REDIS_URL else {"REDIS_URL": ""}
    process, base = start_daphne(deployed_env(**env))
    yield f"{base}/graphql/"
    stop(process)


def post(url: str, payload, **kwargs) -> httpx.Response:
    return httpx.post(url, json=payload, timeout=10, **kwargs)


def test_alias_overloading(url):
    aliases = " ".join(f"alias{i}:__typename" for i in range(101))
    response = post(url, {"query": f"query cop {{ {aliases} }}"})
    assert not (response.json().get("data") or {}).get("alias100")
    assert response.json()["errors"][0]["extensions"]["code"] == "MAX_ALIASES_EXCEEDED"


def test_batch_queries(url):
    response = post(url, [{"query": "query cop { __typename }"}] * 10)
    assert not isinstance(response.json(), list)
    assert response.json()["errors"][0]["extensions"]["code"] == "BATCH_NOT_ALLOWED"


def test_directive_overloading(url):
    response = post(url, {"query": "query cop { __typename " + "@aa" * 10 + " }"})
    errors = response.json()["errors"]
    assert len(errors) < 10 and errors[0]["extensions"]["code"] == "MAX_DIRECTIVES_EXCEEDED"


def test_field_duplication(url):
    response = post(url, {"query": "query cop { " + "__typename \n" * 500 + "}"})
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"]["code"] == "MAX_FIELDS_EXCEEDED"


def test_field_suggestions(url):
    for query in ("query cop { __schema { directive } }", "query cop { produts { totalCount } }",
                  "query cop { products(frist: 1) { totalCount } }"):
        assert "Did you mean" not in post(url, {"query": query}).text


def test_introspection(url):
    response = post(url, {"query": "query cop { __schema { types { name fields { name } } } }"})
    assert response.json()["data"] is None and "__schema" not in str(response.json().get("data"))


def test_circular_introspection(url):
    query = ("query cop { __schema { types { fields { type { fields { type { fields { type { fields { type "
             "{ name } } } } } } } } } } }")
    assert post(url, {"query": query}).json()["data"] is None


def test_graphiql_is_not_exposed(url):
    for path in ("", "?query={__typename}&graphiql=1"):
        page = httpx.get(url + path, headers={"Accept": "text/html"}, timeout=10)
        assert "graphiql" not in page.text.lower() and "graphql playground" not in page.text.lower()


def test_mutations_over_get(url):
    response = httpx.get(url, params={"query": "mutation cop { __typename }"}, timeout=10)
    assert response.status_code == 405 and '"data"' not in response.text  # the contract's METHOD_NOT_ALLOWED


def test_post_url_encoded_csrf(url):
    """Refused by the CSRF gate (its own answer), not only by Strawberry's lack of a form parser."""
    for form in ({"query": "query cop { __typename }"}, {"query": "mutation cop { __typename }"}):
        response = httpx.post(url, data=form, timeout=10)
        assert response.status_code == 400 and "cross-site request forgery" in response.text
        assert '"data"' not in response.text


def test_trace_and_debug_modes(url):
    for params in ({"debug": "1"}, {"trace": "1"}):
        response = httpx.post(url, params=params, json={"query": "query cop { __typenam }"}, timeout=10)
        text = response.text.lower()
        assert not any(word in text for word in ("stacktrace", "traceback", "exception", '"trace"', "debug"))


def test_unhandled_errors_show_no_internals(url):
    for body in ('{"query": "query cop { __typename"', '{"query": 1}', '{"variables": "x", "query": "{shop{name}}"}'):
        response = httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=10)
        assert response.status_code < 500
        assert "Traceback" not in response.text and "File \"" not in response.text


def test_every_answer_carries_its_cost(url):
    answer = post(url, {"query": "{ shop { currency } }"}).json()
    assert answer["extensions"]["cost"]["requestedQueryCost"] == 1
    assert set(answer["extensions"]["cost"]["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable",
                                                                  "restoreRate"}
    refused = post(url, {"query": "{ shop { nope } }"}).json()
    assert "throttleStatus" in refused["extensions"]["cost"]
