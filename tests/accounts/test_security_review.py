"""What a security review found in sign-up and sign-in, each as the attacker tried it: password failures counted
per (email, address) with a growing wait, the admin's login on the same counters, and an existing email's
ALREADY_EXISTS costing the same work as a new account. (The sign-up throttle over real HTTP:
test_sign_up_throttle.py.)"""
import time

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from tests.accounts.conftest import PASSWORD, SIGN_IN
from tests.accounts.test_registration_and_sign_in import register

STRANGER = {"HTTP_X_FORWARDED_FOR": "10.0.0.1, 198.51.100.66"}  # as the trusted proxy forwards each caller
OWNER = {"HTTP_X_FORWARDED_FOR": "192.0.2.10"}
SIGN_IN_WITH_WAIT = SIGN_IN.replace("errors { field code message }", "errors { field code message retryAfter }")


@pytest.fixture
def behind_a_proxy(settings):
    """One trusted proxy, so each caller's X-Forwarded-For is their address; a roomy auth bucket, so what is
    counted here is the per-account counters."""
    settings.TRUSTED_PROXY_HOPS = 1
    settings.AUTH_THROTTLE_MAXIMUM = 1000
    settings.SIGN_IN_MAX_FAILURES = 5


def sign_in(gql, email, password, caller):
    return gql(SIGN_IN_WITH_WAIT, {"email": email, "password": password}, **caller).ok()["tokenCreate"]


# --- Failures per (email, address), answered with a growing wait


def test_a_stranger_guessing_cannot_lock_the_owner_out_from_their_usual_address(gql, alice, behind_a_proxy):
    for _ in range(8):
        sign_in(gql, alice.email, "a guess", STRANGER)
    refused = sign_in(gql, alice.email, PASSWORD, STRANGER)  # even the right password, from the stranger's address
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["email"], "THROTTLED")]
    owner = sign_in(gql, alice.email, PASSWORD, OWNER)
    assert owner["errors"] == [] and owner["accessToken"]


def test_the_wait_grows_with_each_failure_and_is_told_never_slept(gql, alice, behind_a_proxy, settings):
    settings.SIGN_IN_BACKOFF_SECONDS = 1
    answers = [sign_in(gql, alice.email, "a guess", STRANGER)["errors"][0] for _ in range(5)]
    assert [e["code"] for e in answers] == ["INVALID_CREDENTIALS"] * 5
    waits = []
    for _ in range(3):
        started = time.monotonic()
        refused = sign_in(gql, alice.email, "a guess", STRANGER)["errors"][0]
        assert refused["code"] == "THROTTLED" and time.monotonic() - started < 1  # answered, not slept
        assert f"Try again in {refused['retryAfter']} seconds" in refused["message"]
        waits.append(refused["retryAfter"])
        time.sleep(refused["retryAfter"])  # the client waits as told; then one more try is judged
        assert sign_in(gql, alice.email, "a guess", STRANGER)["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert waits == [1, 2, 4]


def test_one_address_cannot_walk_a_list_of_accounts(gql, behind_a_proxy, settings):
    settings.SIGN_IN_MAX_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        assert sign_in(gql, f"victim{n}@example.com", "a guess", STRANGER)["errors"][0]["code"] == "INVALID_CREDENTIALS"
    refused = sign_in(gql, "victim9@example.com", "a guess", STRANGER)["errors"][0]
    assert refused["code"] == "THROTTLED" and refused["retryAfter"] > 0
    assert sign_in(gql, "victim9@example.com", "a guess", OWNER)["errors"][0]["code"] == "INVALID_CREDENTIALS"


def test_a_proof_of_identity_counts_as_a_sign_in_attempt(gql, alice, behind_a_proxy):
    """accountDelete's password cannot be guessed with a stolen session either."""
    gql.login(alice)
    delete = 'mutation { accountDelete(password: "a guess") { errors { code retryAfter } } }'
    codes = [gql(delete, **STRANGER).ok()["accountDelete"]["errors"][0]["code"] for _ in range(6)]
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["THROTTLED"]


# --- The admin's login on the same counters


def admin_login(client, email, password, address):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password},
                       REMOTE_ADDR=address)


def test_the_admin_login_is_throttled_like_the_api_per_email_and_address(staff_user, settings):
    settings.SIGN_IN_MAX_FAILURES = 5
    client = Client()
    for _ in range(5):
        assert admin_login(client, staff_user.email, "a guess", "198.51.100.66").status_code == 200  # the form again
    refused = admin_login(client, staff_user.email, "a-long-password-1", "198.51.100.66")
    assert refused.status_code == 200 and b"Too many failed attempts. Try again in" in refused.content
    assert "_auth_user_id" not in client.session
    # The same counters as the API's: tokenCreate from that address waits too.
    api = Client().post("/graphql/", {"query": SIGN_IN, "variables": {"email": staff_user.email,
                                                                       "password": "a-long-password-1"}},
                        content_type="application/json", REMOTE_ADDR="198.51.100.66").json()
    assert [e["code"] for e in api["data"]["tokenCreate"]["errors"]] == ["THROTTLED"]
    # The staff member, from their own address, signs in.
    signed_in = admin_login(Client(), staff_user.email, "a-long-password-1", "192.0.2.10")
    assert signed_in.status_code == 302 and signed_in.url == "/admin/"


def test_guesses_at_the_api_count_at_the_admin_login_too(staff_user, settings):
    settings.SIGN_IN_MAX_FAILURES = 3
    api = Client()
    for _ in range(3):
        api.post("/graphql/", {"query": SIGN_IN, "variables": {"email": staff_user.email, "password": "guess"}},
                 content_type="application/json", REMOTE_ADDR="198.51.100.66")
    refused = admin_login(Client(), staff_user.email, "a-long-password-1", "198.51.100.66")
    assert b"Too many failed attempts" in refused.content


# --- ALREADY_EXISTS costs what a new account costs


class CountingHasher(MD5PasswordHasher):
    """The test run's hasher, counting the passwords it hashes."""

    algorithm = "counting_md5"
    hashed = 0

    def encode(self, password, salt):
        CountingHasher.hashed += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_security_review.CountingHasher"]
    CountingHasher.hashed = 0
    return CountingHasher


def test_an_existing_email_is_refused_after_the_same_hashing_as_a_new_account(gql, alice, counting_hasher):
    register(gql, email="new-customer@example.com")
    new_account = counting_hasher.hashed
    assert new_account >= 1

    counting_hasher.hashed = 0
    refused = register(gql, email="Alice@Example.com")
    assert [e["code"] for e in refused["errors"]] == ["ALREADY_EXISTS"]  # the answer stays: sign-up signs in
    assert counting_hasher.hashed == new_account
