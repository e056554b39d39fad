"""Registering, signing in, the profile and passwords, as a storefront's account pages use them."""
import pytest
from django.test import override_settings

from tests.accounts.conftest import ME, PASSWORD, SIGN_IN

REGISTER = """mutation ($input: AccountRegisterInput!) {
  accountRegister(input: $input) { accessToken refreshToken user { email firstName } errors { field code message } } }"""


def register(gql, **input):
    return gql(REGISTER, {"input": {"email": "new@example.com", "password": PASSWORD, **input}}).ok()["accountRegister"]


def test_a_new_customer_registers_and_is_signed_in(gql):
    payload = register(gql, email="  New@Example.com ", firstName="Nia")
    assert payload["errors"] == []
    assert payload["user"] == {"email": "new@example.com", "firstName": "Nia"}
    me = gql.bearer(payload["accessToken"])(ME).ok()["me"]
    assert me == {"email": "new@example.com", "firstName": "Nia", "lastName": "", "isStaff": False, "addresses": []}


def test_an_email_registers_once(gql, alice):
    payload = register(gql, email="ALICE@example.com")
    assert payload["user"] is None and payload["accessToken"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", "email"], "ALREADY_EXISTS")]


def test_a_weak_password_is_refused_with_every_reason(gql):
    payload = register(gql, password="12345678")
    codes = {(tuple(e["field"]), e["code"]) for e in payload["errors"]}
    assert codes == {(("input", "password"), "PASSWORD_TOO_WEAK")}
    assert len(payload["errors"]) >= 2  # too common and entirely numeric
    assert gql(SIGN_IN, {"email": "new@example.com", "password": "12345678"}).ok()["tokenCreate"]["user"] is None


@pytest.mark.parametrize("email", ["not-an-email", "", "a@b"])
def test_a_malformed_email_is_refused(gql, email):
    assert register(gql, email=email)["errors"][0]["field"] == ["input", "email"]


def test_overlong_names_are_refused_on_their_field(gql):
    errors = register(gql, firstName="x" * 151)["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["input", "firstName"], "INVALID")]


def test_signing_in_returns_tokens_that_identify_the_customer(gql, signed_in):
    assert signed_in["user"] == {"email": "alice@example.com"}
    me = gql.bearer(signed_in["accessToken"])(ME).ok()["me"]
    assert me["email"] == "alice@example.com" and me["firstName"] == "Alice"


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(gql, alice):
    wrong = gql(SIGN_IN, {"email": alice.email, "password": "not it"}).ok()["tokenCreate"]
    unknown = gql(SIGN_IN, {"email": "nobody@example.com", "password": "not it"}).ok()["tokenCreate"]
    assert wrong == unknown
    assert wrong["accessToken"] is None
    assert [(e["field"], e["code"]) for e in wrong["errors"]] == [(["email"], "INVALID_CREDENTIALS")]


def test_a_deactivated_account_cannot_sign_in(gql, alice):
    alice.is_active = False
    alice.save()
    errors = gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]["errors"]
    assert [e["code"] for e in errors] == ["INVALID_CREDENTIALS"]


@override_settings(SIGN_IN_MAX_FAILURES=5)
def test_repeated_failures_throttle_sign_in_for_that_email_even_with_the_right_password(gql, alice):
    for _ in range(5):
        gql(SIGN_IN, {"email": alice.email, "password": "guess"})
    throttled = gql(SIGN_IN, {"email": "Alice@Example.com", "password": PASSWORD}).ok()["tokenCreate"]
    assert throttled["accessToken"] is None
    assert [(e["field"], e["code"]) for e in throttled["errors"]] == [(["email"], "THROTTLED")]
    other = gql(SIGN_IN, {"email": "bob@example.com", "password": "guess"}).ok()["tokenCreate"]
    assert [e["code"] for e in other["errors"]] == ["INVALID_CREDENTIALS"]


@override_settings(SIGN_IN_MAX_FAILURES=3)
def test_a_successful_sign_in_starts_the_count_again(gql, alice):
    for _ in range(2):
        gql(SIGN_IN, {"email": alice.email, "password": "guess"})
    assert gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]["errors"] == []
    for _ in range(2):
        gql(SIGN_IN, {"email": alice.email, "password": "guess"})
    assert gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]["errors"] == []


UPDATE = """mutation ($input: AccountUpdateInput!) {
  accountUpdate(input: $input) { user { firstName lastName } errors { field code } } }"""


def test_the_customer_changes_their_names_and_absent_ones_stay(gql, alice):
    gql.login(alice)
    assert gql(UPDATE, {"input": {"firstName": " Al "}}).ok()["accountUpdate"] == {
        "user": {"firstName": "Al", "lastName": "Liddell"}, "errors": []}
    assert gql(UPDATE, {"input": {"lastName": "L.", "firstName": None}}).ok()["accountUpdate"]["user"] == {
        "firstName": "Al", "lastName": "L."}


def test_account_update_needs_a_signed_in_customer(gql):
    response = gql(UPDATE, {"input": {"firstName": "Eve"}})
    assert response.codes == ["UNAUTHENTICATED"] and response.data is None


CHANGE = """mutation ($old: String!, $new: String!) {
  passwordChange(oldPassword: $old, newPassword: $new) { accessToken refreshToken errors { field code } } }"""


def test_changing_the_password_keeps_this_session_and_ends_the_others(gql, alice, signed_in):
    other_session = signed_in
    gql.bearer(signed_in["accessToken"])
    changed = gql(CHANGE, {"old": PASSWORD, "new": "a brand new passphrase"}).ok()["passwordChange"]
    assert changed["errors"] == [] and changed["accessToken"]

    stale = gql(ME, HTTP_AUTHORIZATION=f"Bearer {other_session['accessToken']}")
    assert stale.codes == ["UNAUTHENTICATED"] and stale.errors[0]["extensions"]["reason"] == "TOKEN_INVALID"
    assert gql(ME, HTTP_AUTHORIZATION=f"Bearer {changed['accessToken']}").ok()["me"]["email"] == alice.email
    from tests.accounts.conftest import REFRESH

    refreshed = gql(REFRESH, {"token": other_session["refreshToken"]}).ok()["tokenRefresh"]
    assert [e["code"] for e in refreshed["errors"]] == ["TOKEN_INVALID"]
    assert gql(SIGN_IN, {"email": alice.email, "password": "a brand new passphrase"}).ok()["tokenCreate"]["errors"] == []


def test_a_password_change_needs_the_current_password_and_a_strong_new_one(gql, alice):
    gql.login(alice)
    wrong = gql(CHANGE, {"old": "not it", "new": "a brand new passphrase"}).ok()["passwordChange"]
    assert [(e["field"], e["code"]) for e in wrong["errors"]] == [(["oldPassword"], "INVALID_CREDENTIALS")]
    weak = gql(CHANGE, {"old": PASSWORD, "new": "alice"}).ok()["passwordChange"]
    assert {(tuple(e["field"]), e["code"]) for e in weak["errors"]} == {(("newPassword",), "PASSWORD_TOO_WEAK")}
    assert gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]["errors"] == []


@override_settings(SIGN_IN_MAX_FAILURES=3)
def test_guessing_the_current_password_in_password_change_is_throttled(gql, alice):
    gql.login(alice)
    for _ in range(3):
        gql(CHANGE, {"old": "a guess", "new": "a brand new passphrase"})
    throttled = gql(CHANGE, {"old": PASSWORD, "new": "a brand new passphrase"}).ok()["passwordChange"]
    assert [(e["field"], e["code"]) for e in throttled["errors"]] == [(["oldPassword"], "THROTTLED")]
