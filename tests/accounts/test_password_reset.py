"""A forgotten password: the emailed link, single use, expiry, and no way to learn which emails have accounts."""
import datetime as dt
import re

from django.test import override_settings

from tests.accounts.conftest import PASSWORD, SIGN_IN

REQUEST = 'mutation ($email: String!) { passwordResetRequest(email: $email) { errors { field code } } }'
CONFIRM = """mutation ($token: String!, $password: String!) {
  passwordResetConfirm(token: $token, password: $password) { accessToken user { email } errors { field code } } }"""
NEW_PASSWORD = "a freshly chosen passphrase"
RESET_URL = "https://shop.example/reset?token={token}"


def emailed_token(message) -> str:
    (token,) = re.findall(r"https://shop\.example/reset\?token=([\w-]+)", message.body)
    return token


def request_reset(gql, jobs, email="alice@example.com"):
    answer = gql(REQUEST, {"email": email}).ok()["passwordResetRequest"]
    jobs.run()
    return answer


@override_settings(PASSWORD_RESET_URL=RESET_URL)
def test_a_customer_resets_a_forgotten_password_through_the_emailed_link(gql, alice, jobs, mailoutbox):
    assert request_reset(gql, jobs) == {"errors": []}
    (message,) = mailoutbox
    assert message.to == ["alice@example.com"] and "Reset your" in message.subject
    token = emailed_token(message)
    assert RESET_URL.replace("{token}", token) in message.alternatives[0][0]  # the HTML part links there too

    confirmed = gql(CONFIRM, {"token": token, "password": NEW_PASSWORD}).ok()["passwordResetConfirm"]
    assert confirmed["errors"] == [] and confirmed["user"] == {"email": "alice@example.com"}
    assert confirmed["accessToken"]
    assert gql(SIGN_IN, {"email": alice.email, "password": NEW_PASSWORD}).ok()["tokenCreate"]["errors"] == []
    old = gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]
    assert [e["code"] for e in old["errors"]] == ["INVALID_CREDENTIALS"]


@override_settings(PASSWORD_RESET_URL=RESET_URL)
def test_an_unknown_email_gets_the_same_answer_and_no_email(gql, alice, jobs, mailoutbox):
    assert request_reset(gql, jobs, "nobody@example.com") == request_reset(gql, jobs, "ALICE@example.com")
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]


@override_settings(PASSWORD_RESET_URL=RESET_URL)
def test_a_reset_link_works_once_and_ends_the_others(gql, alice, jobs, mailoutbox):
    request_reset(gql, jobs)
    request_reset(gql, jobs)
    first, second = (emailed_token(m) for m in mailoutbox)
    assert gql(CONFIRM, {"token": first, "password": NEW_PASSWORD}).ok()["passwordResetConfirm"]["errors"] == []
    for token in (first, second):
        again = gql(CONFIRM, {"token": token, "password": "yet another passphrase"}).ok()["passwordResetConfirm"]
        assert again["errors"] == [{"field": ["token"], "code": "TOKEN_INVALID"}] and again["user"] is None


@override_settings(PASSWORD_RESET_URL=RESET_URL, PASSWORD_RESET_TOKEN_LIFETIME=dt.timedelta(0))
def test_an_expired_reset_link_is_refused(gql, alice, jobs, mailoutbox):
    request_reset(gql, jobs)
    refused = gql(CONFIRM, {"token": emailed_token(mailoutbox[0]), "password": NEW_PASSWORD}).ok()
    assert refused["passwordResetConfirm"]["errors"] == [{"field": ["token"], "code": "TOKEN_EXPIRED"}]
    assert gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]["errors"] == []


@override_settings(PASSWORD_RESET_URL=RESET_URL)
def test_a_weak_new_password_keeps_the_link_usable(gql, alice, jobs, mailoutbox):
    request_reset(gql, jobs)
    token = emailed_token(mailoutbox[0])
    weak = gql(CONFIRM, {"token": token, "password": "password"}).ok()["passwordResetConfirm"]
    assert {(tuple(e["field"]), e["code"]) for e in weak["errors"]} == {(("password",), "PASSWORD_TOO_WEAK")}
    assert gql(CONFIRM, {"token": token, "password": NEW_PASSWORD}).ok()["passwordResetConfirm"]["errors"] == []


@override_settings(PASSWORD_RESET_URL=RESET_URL)
def test_a_reset_signs_out_every_session(gql, alice, signed_in, jobs, mailoutbox):
    request_reset(gql, jobs)
    gql(CONFIRM, {"token": emailed_token(mailoutbox[0]), "password": NEW_PASSWORD})
    refresh = "mutation ($t: String!) { tokenRefresh(refreshToken: $t) { errors { code } } }"
    assert gql(refresh, {"t": signed_in["refreshToken"]}).ok()["tokenRefresh"]["errors"] == [{"code": "TOKEN_INVALID"}]
    assert gql("{ me { email } }", HTTP_AUTHORIZATION=f"Bearer {signed_in['accessToken']}").codes == ["UNAUTHENTICATED"]


@override_settings(PASSWORD_RESET_URL=RESET_URL, PASSWORD_RESET_MAX_REQUESTS=3)
def test_nobody_can_flood_an_inbox_with_reset_emails(gql, alice, jobs, mailoutbox):
    answers = [request_reset(gql, jobs) for _ in range(5)]
    assert answers == [{"errors": []}] * 5  # the same answer, so the limit tells nothing either
    assert len(mailoutbox) == 3


@override_settings(PASSWORD_RESET_URL=RESET_URL)
def test_a_password_change_ends_outstanding_reset_links(gql, alice, jobs, mailoutbox):
    request_reset(gql, jobs)
    change = "mutation ($o: String!, $n: String!) { passwordChange(oldPassword: $o, newPassword: $n) { errors { code } } }"
    assert gql.login(alice)(change, {"o": PASSWORD, "n": NEW_PASSWORD}).ok()["passwordChange"]["errors"] == []
    late = gql(CONFIRM, {"token": emailed_token(mailoutbox[0]), "password": "yet another passphrase"}).ok()
    assert late["passwordResetConfirm"]["errors"] == [{"field": ["token"], "code": "TOKEN_INVALID"}]
