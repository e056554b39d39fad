"""Apollo's automatic persisted queries, as Apollo Client's persisted-query link with `useGETForHashedQueries`
speaks them: a hash first, the query once on a miss, then hashes over GET that a CDN may cache."""
import hashlib
import json
import time

import pytest

from tests.realtime.client import over_the_consumer

QUERY = '{ product(slug: "oak-lamp") { name } }'
SHA256 = hashlib.sha256(QUERY.encode()).hexdigest()


def extensions(sha256: str = SHA256, version: int = 1) -> dict:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256}}


def get(client, **params):
    encoded = {key: json.dumps(value) if isinstance(value, dict) else value for key, value in params.items()}
    return client.get("/graphql/", encoded, HTTP_ACCEPT="*/*")


def post(client, body: dict):
    return client.post("/graphql/", json.dumps(body), content_type="application/json")


def codes(response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json().get("errors", [])]


@pytest.fixture
def lamp(make_product):
    return make_product("Oak Lamp")


def test_miss_register_then_hit_over_get(client, lamp, settings):
    settings.GRAPHQL_PUBLIC_MAX_AGE = 60  # opted into a CDN's bounded staleness
    miss = get(client, extensions=extensions())
    assert miss.status_code == 200 and codes(miss) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"  # what Apollo's link looks for
    assert "cost" in miss.json()["extensions"]

    registered = post(client, {"query": QUERY, "extensions": extensions()})
    assert registered.json()["data"] == {"product": {"name": "Oak Lamp"}}

    hit = get(client, extensions=extensions())
    assert hit.json()["data"] == {"product": {"name": "Oak Lamp"}}
    assert hit["Cache-Control"] == "public, max-age=60" and "Authorization" in hit["Vary"]
    assert hit.json()["extensions"]["cost"] == {"requestedQueryCost": 2, "actualQueryCost": 2}  # no client status


def test_a_document_lives_its_time_from_registration_and_hits_do_not_rewrite_it(client, lamp, settings):
    from datetime import timedelta

    settings.GRAPHQL_APQ_TTL = timedelta(seconds=1)
    post(client, {"query": QUERY, "extensions": extensions()})
    time.sleep(0.6)
    assert get(client, extensions=extensions()).json()["data"] == {"product": {"name": "Oak Lamp"}}
    time.sleep(0.6)  # 1.2 s after registering, 0.6 s after the hit
    assert codes(get(client, extensions=extensions())) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_a_hash_that_is_not_the_querys_is_refused_and_registers_nothing(client, lamp):
    forged = "0" * 64
    refused = post(client, {"query": QUERY, "extensions": extensions(forged)})
    assert codes(refused) == ["BAD_USER_INPUT"] and refused.json()["data"] is None
    assert codes(get(client, extensions=extensions(forged))) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_refused_documents_are_not_registered(client):
    bad = "{ nope }"
    sha256 = hashlib.sha256(bad.encode()).hexdigest()
    assert codes(post(client, {"query": bad, "extensions": extensions(sha256)})) == ["GRAPHQL_VALIDATION_FAILED"]
    assert codes(get(client, extensions=extensions(sha256))) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_a_document_over_the_size_cap_is_refused_and_not_registered(client, lamp):
    padded = QUERY + " # " + "x" * 40_000
    sha256 = hashlib.sha256(padded.encode()).hexdigest()
    assert codes(post(client, {"query": padded, "extensions": extensions(sha256)})) == ["MAX_TOKENS_EXCEEDED"]
    assert codes(get(client, extensions=extensions(sha256))) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_other_versions_and_apq_off_are_not_supported(client, settings):
    assert codes(get(client, extensions=extensions(version=2))) == ["PERSISTED_QUERY_NOT_SUPPORTED"]
    settings.GRAPHQL_APQ_ENABLED = False
    assert codes(get(client, extensions=extensions())) == ["PERSISTED_QUERY_NOT_SUPPORTED"]


def test_answers_for_someone_or_with_errors_are_not_public(client, lamp, customer, settings):
    settings.GRAPHQL_PUBLIC_MAX_AGE = 60  # opted into a CDN's bounded staleness
    from commerce.accounts import tokens

    signed_in = client.get("/graphql/", {"query": QUERY}, HTTP_AUTHORIZATION=f"Bearer {tokens.sign_in(customer).access}")
    assert signed_in.json()["data"] and signed_in["Cache-Control"] == "no-store"
    assert "throttleStatus" in signed_in.json()["extensions"]["cost"]
    cart = client.get("/graphql/", {"query": '{ cart(token: "x") { id } }'})
    assert cart["Cache-Control"] == "no-store"
    assert post(client, {"query": QUERY})["Cache-Control"] == "no-store"


def test_mutations_never_run_over_get(client):
    response = client.get("/graphql/", {"query": 'mutation { tokenRevoke(refreshToken: "x") { errors { code } } }'})
    assert response.status_code == 405 and b"data" not in response.content


@pytest.fixture
def allow_list(settings, tmp_path):
    """Allow-list mode, with a manifest of QUERY alone."""
    manifest = tmp_path / "persisted-query-manifest.json"
    manifest.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": SHA256, "name": "Lamp", "type": "query", "body": QUERY}]}))
    settings.GRAPHQL_PERSISTED_QUERIES_MANIFEST = str(manifest)
    settings.GRAPHQL_PERSISTED_QUERIES_ONLY = True


def test_allow_list_mode_runs_only_the_manifests_documents(client, lamp, allow_list):
    assert get(client, extensions=extensions()).json()["data"] == {"product": {"name": "Oak Lamp"}}
    assert post(client, {"query": QUERY}).json()["data"] == {"product": {"name": "Oak Lamp"}}
    other = '{ product(slug: "oak-lamp") { name slug } }'
    assert codes(post(client, {"query": other})) == ["PERSISTED_QUERY_NOT_FOUND"]
    sha256 = hashlib.sha256(other.encode()).hexdigest()
    assert codes(post(client, {"query": other, "extensions": extensions(sha256)})) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert post(client, {"query": other}).json()["errors"][0]["message"] == "Only registered operations run on this server."
    unknown = get(client, extensions=extensions(sha256))
    assert codes(unknown) == ["PERSISTED_QUERY_NOT_FOUND"]  # Apollo's link sends the text once, then hears the above
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"


@pytest.mark.django_db(transaction=True)
def test_allow_list_mode_holds_over_websockets(lamp, allow_list):
    registered, other = over_the_consumer(QUERY, '{ product(slug: "oak-lamp") { name slug } }')
    assert registered["type"] == "next" and registered["payload"]["data"] == {"product": {"name": "Oak Lamp"}}
    assert other["type"] == "error"
    assert [e["extensions"]["code"] for e in other["payload"]] == ["PERSISTED_QUERY_NOT_FOUND"]
