"""Changing the email: a fresh proof of identity, a link to the new address (the old one is told), and a token
bound to the user and the new address that is refused for anyone else, twice, late, or for another purpose."""
import datetime as dt

import pytest
from django.conf import settings as django_settings

from commerce.accounts.models import User
from tests.accounts.conftest import PASSWORD, SIGN_IN
from tests.mail import sent_to, token_in

REQUEST = """mutation ($e: String!, $p: String, $i: String) { accountRequestEmailChange(newEmail: $e, password: $p,
  idToken: $i) { user { email isEmailVerified } errors { field code } } }"""
CONFIRM = """mutation ($t: String!) { accountConfirmEmailChange(token: $t) {
  user { email isEmailVerified } errors { field code } } }"""
NEW = "alice@new.example"


@pytest.fixture
def as_alice(gql, alice):
    return gql.login(alice)


def request_change(client, jobs, new_email=NEW, password=PASSWORD, **more) -> dict:
    answer = client(REQUEST, {"e": new_email, "p": password, **more}).ok()["accountRequestEmailChange"]
    jobs.run()
    return answer


def change_token(outbox, to=NEW) -> str:
    (message,) = sent_to(outbox, to)
    return token_in(message.body, django_settings.EMAIL_CHANGE_URL)


def confirm(client, token) -> dict:
    return client(CONFIRM, {"t": token}).ok()["accountConfirmEmailChange"]


def emails_of_alice() -> str:
    return User.objects.get(first_name="Alice").email


def test_a_customer_moves_to_a_new_address_confirmed_there_and_the_old_one_is_told(as_alice, gql, jobs, mailoutbox):
    answer = request_change(as_alice, jobs, new_email=" Alice@New.example ")
    assert answer == {"user": {"email": "alice@example.com", "isEmailVerified": False}, "errors": []}
    (notice,) = sent_to(mailoutbox, "alice@example.com")
    assert NEW in notice.body and "change your password" in notice.body
    assert emails_of_alice() == "alice@example.com"  # nothing changes before the link is used

    confirmed = confirm(as_alice, change_token(mailoutbox))
    assert confirmed == {"user": {"email": NEW, "isEmailVerified": True}, "errors": []}
    as_alice.headers.clear()
    assert gql(SIGN_IN, {"email": NEW, "password": PASSWORD}).ok()["tokenCreate"]["errors"] == []


@pytest.mark.parametrize("proof, code, field", [
    ({"password": "not the password"}, "INVALID_CREDENTIALS", ["password"]),
    ({"password": None}, "REQUIRED", ["password"]),
])
def test_no_change_without_the_password(as_alice, jobs, mailoutbox, proof, code, field):
    answer = request_change(as_alice, jobs, **proof)
    assert answer == {"user": None, "errors": [{"field": field, "code": code}]}
    assert mailoutbox == []


@pytest.mark.parametrize("new_email", ["not an email", "alice@example.com"])
def test_an_invalid_or_unchanged_address_is_refused(as_alice, jobs, mailoutbox, new_email):
    answer = request_change(as_alice, jobs, new_email=new_email)
    assert answer["errors"] == [{"field": ["newEmail"], "code": "INVALID"}] and mailoutbox == []


def test_an_address_with_an_account_gets_the_same_answer_and_a_note_instead_of_a_link(as_alice, jobs, mailoutbox):
    User.objects.create_user(NEW, "another password 123")
    free = request_change(as_alice, jobs, new_email="alice@free.example")
    mailoutbox.clear()
    taken = request_change(as_alice, jobs)
    assert taken == free  # the requester learns nothing about NEW
    (note,) = sent_to(mailoutbox, NEW)
    assert "nothing changed" in note.body and django_settings.EMAIL_CHANGE_URL.split("{")[0] not in note.body
    assert sent_to(mailoutbox, "alice@example.com")  # the old address is told all the same


def test_an_address_taken_after_the_link_was_sent_is_refused_at_confirmation(as_alice, jobs, mailoutbox):
    request_change(as_alice, jobs)
    User.objects.create_user(NEW, "another password 123")
    assert confirm(as_alice, change_token(mailoutbox))["errors"] == [{"field": ["token"], "code": "ALREADY_EXISTS"}]
    assert emails_of_alice() == "alice@example.com"


def test_the_link_is_refused_for_another_user(as_alice, gql, jobs, mailoutbox):
    request_change(as_alice, jobs)
    bob = User.objects.create_user("bob@example.com", "bob's long password")
    as_bob = gql.login(bob)
    assert confirm(as_bob, change_token(mailoutbox)) == {"user": None,
                                                         "errors": [{"field": ["token"], "code": "TOKEN_INVALID"}]}
    assert User.objects.get(pk=bob.pk).email == "bob@example.com" and emails_of_alice() == "alice@example.com"


def test_the_link_needs_a_signed_in_caller(gql, as_alice, jobs, mailoutbox):
    request_change(as_alice, jobs)
    as_alice.headers.clear()
    assert gql(CONFIRM, {"t": change_token(mailoutbox)}).codes == ["UNAUTHENTICATED"]
    assert emails_of_alice() == "alice@example.com"


def test_the_link_works_once(as_alice, jobs, mailoutbox):
    request_change(as_alice, jobs)
    token = change_token(mailoutbox)
    assert confirm(as_alice, token)["errors"] == []
    User.objects.filter(first_name="Alice").update(email="alice@example.com")  # as if moved back since
    assert confirm(as_alice, token)["errors"] == [{"field": ["token"], "code": "TOKEN_INVALID"}]
    assert emails_of_alice() == "alice@example.com"


def test_an_expired_link_is_refused(as_alice, jobs, mailoutbox, settings):
    settings.EMAIL_CHANGE_TOKEN_LIFETIME = dt.timedelta(0)
    request_change(as_alice, jobs)
    assert confirm(as_alice, change_token(mailoutbox))["errors"] == [{"field": ["token"], "code": "TOKEN_EXPIRED"}]
    assert emails_of_alice() == "alice@example.com"


def test_tokens_are_good_for_their_own_purpose_only(as_alice, gql, jobs, mailoutbox):
    request_change(as_alice, jobs)
    change = change_token(mailoutbox)
    verify_answer = gql("mutation ($t: String!) { accountConfirmEmail(token: $t) { errors { code } } }", {"t": change})
    assert verify_answer.ok()["accountConfirmEmail"]["errors"] == [{"code": "TOKEN_INVALID"}]

    from commerce.accounts import verification

    verify = verification.make_confirmation_link(User.objects.get(email="alice@example.com")).url.split("token=")[1]
    assert confirm(as_alice, verify)["errors"] == [{"field": ["token"], "code": "TOKEN_INVALID"}]
    assert emails_of_alice() == "alice@example.com"
    assert not User.objects.get(email="alice@example.com").is_email_verified
    assert confirm(as_alice, change)["errors"] == []  # both refusals left it usable


def test_requests_are_capped_per_user(as_alice, jobs, mailoutbox, settings):
    settings.EMAIL_CONFIRMATION_MAX_REQUESTS = 2
    answers = [request_change(as_alice, jobs, new_email=f"a{i}@new.example") for i in range(3)]
    assert [a["errors"] for a in answers[:2]] == [[], []]
    assert answers[2]["errors"] == [{"field": ["newEmail"], "code": "THROTTLED"}]
    assert not sent_to(mailoutbox, "a2@new.example")


def test_an_email_set_by_staff_in_the_admin_is_not_verified(admin_client, alice):
    from commerce.accounts import verification

    verification.make_confirmation_link(alice)
    User.objects.filter(pk=alice.pk).update(is_email_verified=True)
    form = {"email": NEW, "first_name": "Alice", "last_name": "Liddell", "is_active": "on",
            "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00",
            "addresses-TOTAL_FORMS": "0", "addresses-INITIAL_FORMS": "0",
            "social_accounts-TOTAL_FORMS": "0", "social_accounts-INITIAL_FORMS": "0"}
    response = admin_client.post(f"/admin/accounts/user/{alice.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    alice.refresh_from_db()
    assert alice.email == NEW and not alice.is_email_verified
    assert not alice.email_tokens.filter(used_at__isnull=True).exists()
