"""The live order board's access token: what the admin session hands its page, to whom, and what the API makes of it
(the board itself, in a browser: tests/browser/test_live_board.py)."""
from datetime import timedelta

import jwt
import pytest
from django.test import Client
from django.urls import reverse

from commerce.accounts import tokens
from commerce.accounts.models import TokenFamily

STAFF_QUERY = "{ orders(first: 1) { edges { node { number } } } }"


@pytest.fixture
def browser_of():
    """A browser signed in to the admin, whose posts must carry the CSRF token as the board's script sends it."""

    def sign_in(user) -> Client:
        browser = Client(enforce_csrf_checks=True)
        browser.get(reverse("admin:login"))  # the page sets the CSRF cookie
        browser.force_login(user)
        return browser

    return sign_in


def refusal(response) -> list[tuple[str, str]]:
    return [(error["extensions"]["code"], error["extensions"].get("reason")) for error in response.errors]


def post_for_token(browser: Client, *, csrf: bool = True):
    headers = {"HTTP_X_CSRFTOKEN": browser.cookies["csrftoken"].value} if csrf else {}
    return browser.post(reverse("admin:live_token"), **headers)


def test_the_page_carries_what_its_script_needs_and_no_inline_script(browser_of, staff_user):
    response = browser_of(staff_user).get(reverse("admin:live_board"))
    assert "script-src 'self';" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert 'id="live-board"' in page and 'data-token-url="/admin/live-token/"' in page
    assert 'data-csrf-token="' in page
    assert "graph/graphql-ws.js" in page and "orders/live-board.js" in page
    assert "<script>" not in page and " onload=" not in page


def test_the_dashboard_carries_the_live_board(browser_of, staff_user):
    page = browser_of(staff_user).get(reverse("admin:index")).content.decode()
    assert 'id="live-board"' in page and "orders/live-board.js" in page and "graph/graphql-ws.js" in page


def test_staff_get_a_short_lived_token_that_signs_in_to_the_api(browser_of, staff_user, gql, settings):
    response = post_for_token(browser_of(staff_user))
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    answer = response.json()
    claims = jwt.decode(answer["token"], options={"verify_signature": False})
    assert answer["expiresIn"] == 300 == claims["exp"] - claims["iat"]
    assert gql.bearer(answer["token"])(STAFF_QUERY).ok() == {"orders": {"edges": []}}


def test_a_post_without_the_csrf_token_or_a_get_is_refused(browser_of, staff_user):
    browser = browser_of(staff_user)
    assert post_for_token(browser, csrf=False).status_code == 403
    assert browser.get(reverse("admin:live_token")).status_code == 405
    assert not TokenFamily.objects.exists()


def test_only_whom_the_admin_admits_gets_one(browser_of, customer, staff_user, settings):
    assert post_for_token(browser_of(customer)).status_code == 302  # to the admin's login
    settings.STAFF_TWO_FACTOR_REQUIRED = True  # staff with no second factor see only its set-up page
    assert post_for_token(browser_of(staff_user)).status_code == 302
    assert not TokenFamily.objects.exists()


def test_an_expired_token_is_refused(browser_of, staff_user, gql, settings):
    settings.ADMIN_LIVE_TOKEN_LIFETIME = timedelta(seconds=-1)
    token = post_for_token(browser_of(staff_user)).json()["token"]
    assert refusal(gql.bearer(token)(STAFF_QUERY)) == [("UNAUTHENTICATED", "TOKEN_EXPIRED")]


def test_a_session_renews_within_one_sign_in_which_signing_out_ends(browser_of, staff_user, gql):
    browser = browser_of(staff_user)
    first, second = (post_for_token(browser).json()["token"] for _ in range(2))
    assert TokenFamily.objects.count() == 1
    assert gql.bearer(second)(STAFF_QUERY).ok()
    browser.post(reverse("admin:logout"), HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value)
    assert refusal(gql.bearer(first)(STAFF_QUERY)) == [("UNAUTHENTICATED", "TOKEN_INVALID")]
    assert post_for_token(browser).status_code == 302


def test_after_the_nightly_purge_the_session_starts_another_sign_in(browser_of, staff_user, gql):
    browser = browser_of(staff_user)
    before = post_for_token(browser).json()["token"]
    tokens.purge_expired()  # the session's sign-in has no refresh token, so it goes
    after = post_for_token(browser).json()["token"]
    assert refusal(gql.bearer(before)(STAFF_QUERY)) == [("UNAUTHENTICATED", "TOKEN_INVALID")]
    assert gql.bearer(after)(STAFF_QUERY).ok()
