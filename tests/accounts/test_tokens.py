"""Access and refresh tokens: rotation, reuse detection, expiry, revocation and forgery."""
import datetime as dt

import jwt
import pytest
from django.conf import settings
from django.test import override_settings

from tests.accounts.conftest import ME, PASSWORD, REFRESH, SIGN_IN

REVOKE = "mutation ($token: String!) { tokenRevoke(refreshToken: $token) { errors { field code } } }"


def refresh(gql, token):
    return gql(REFRESH, {"token": token}).ok()["tokenRefresh"]


def codes(payload):
    return [e["code"] for e in payload["errors"]]


def test_a_refresh_rotates_the_pair(gql, signed_in):
    new = refresh(gql, signed_in["refreshToken"])
    assert new["errors"] == [] and new["user"] == {"email": "alice@example.com"}
    assert new["refreshToken"] != signed_in["refreshToken"]
    assert gql(ME, HTTP_AUTHORIZATION=f"Bearer {new['accessToken']}").ok()["me"]["email"] == "alice@example.com"
    assert refresh(gql, new["refreshToken"])["errors"] == []  # the chain goes on


@override_settings(REFRESH_TOKEN_REUSE_GRACE=dt.timedelta(0))
def test_reusing_a_rotated_token_signs_out_the_whole_family(gql, signed_in):
    owner = refresh(gql, signed_in["refreshToken"])  # the owner rotates
    thief = refresh(gql, signed_in["refreshToken"])  # someone replays the old token
    assert codes(thief) == ["TOKEN_INVALID"] and thief["refreshToken"] is None
    assert codes(refresh(gql, owner["refreshToken"])) == ["TOKEN_INVALID"]  # the owner is signed out too


def test_reuse_detection_leaves_other_sign_ins_alone(gql, alice, signed_in):
    with override_settings(REFRESH_TOKEN_REUSE_GRACE=dt.timedelta(0)):
        phone = gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]
        refresh(gql, signed_in["refreshToken"])
        refresh(gql, signed_in["refreshToken"])
    assert refresh(gql, phone["refreshToken"])["errors"] == []


def test_two_tabs_refreshing_at_once_both_stay_signed_in(gql, signed_in):
    first_tab = refresh(gql, signed_in["refreshToken"])
    second_tab = refresh(gql, signed_in["refreshToken"])  # within the grace window
    assert first_tab["errors"] == [] and second_tab["errors"] == []
    assert first_tab["refreshToken"] != second_tab["refreshToken"]
    assert refresh(gql, first_tab["refreshToken"])["errors"] == []
    assert refresh(gql, second_tab["refreshToken"])["errors"] == []


def test_an_expired_refresh_token_is_refused(gql, alice):
    with override_settings(REFRESH_TOKEN_LIFETIME=dt.timedelta(0)):
        pair = gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]
    payload = refresh(gql, pair["refreshToken"])
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["refreshToken"], "TOKEN_EXPIRED")]


@pytest.mark.parametrize("token", ["", "made-up", "x" * 500])
def test_an_unknown_refresh_token_is_refused(gql, db, token):
    assert codes(refresh(gql, token)) == ["TOKEN_INVALID"]


def test_revoking_ends_the_session_and_can_be_repeated(gql, signed_in):
    rotated = refresh(gql, signed_in["refreshToken"])
    assert gql(REVOKE, {"token": rotated["refreshToken"]}).ok()["tokenRevoke"]["errors"] == []
    assert codes(refresh(gql, rotated["refreshToken"])) == ["TOKEN_INVALID"]
    assert codes(refresh(gql, signed_in["refreshToken"])) == ["TOKEN_INVALID"]  # its ancestors too
    assert gql(REVOKE, {"token": rotated["refreshToken"]}).ok()["tokenRevoke"]["errors"] == []
    assert gql(REVOKE, {"token": "never-issued"}).ok()["tokenRevoke"]["errors"] == [
        {"field": ["refreshToken"], "code": "TOKEN_INVALID"}]


def test_no_token_is_an_anonymous_caller(gql, db):
    assert gql(ME).ok() == {"me": None}


def test_an_expired_access_token_refuses_the_operation(gql, alice):
    with override_settings(ACCESS_TOKEN_LIFETIME=dt.timedelta(seconds=-1)):
        expired = gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]["accessToken"]
    response = gql(ME, HTTP_AUTHORIZATION=f"Bearer {expired}")
    assert response.data is None
    assert [(e["extensions"]["code"], e["extensions"]["reason"]) for e in response.errors] == [
        ("UNAUTHENTICATED", "TOKEN_EXPIRED")]


def forged(alice, key="some-other-key-that-is-long-enough-for-hs256", algorithm="HS256", **changes):
    """A token shaped like ours: by default Alice's live family, signed with a key that is not the server's."""
    now = dt.datetime.now(dt.timezone.utc)
    family = alice.token_families.get()
    claims = {"iss": settings.JWT_ISSUER, "sub": str(alice.pk), "fam": family.pk, "iat": now,
              "exp": now + dt.timedelta(minutes=5), "typ": "access", **changes}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm=algorithm)


REAL_KEY = {"key": settings.JWT_SIGNING_KEY}


@pytest.mark.parametrize("make_token", [
    pytest.param(lambda alice, real: forged(alice), id="signed-with-another-key"),
    pytest.param(lambda alice, real: forged(alice, algorithm="none", key=None), id="alg-none"),
    pytest.param(lambda alice, real: real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB"), id="tampered"),
    pytest.param(lambda alice, real: "not.a.jwt", id="garbage"),
    pytest.param(lambda alice, real: forged(alice, iss="someone-else", **REAL_KEY), id="another-issuer"),
    pytest.param(lambda alice, real: forged(alice, typ="refresh", **REAL_KEY), id="not-an-access-token"),
    pytest.param(lambda alice, real: forged(alice, fam=None, **REAL_KEY), id="no-family"),
    pytest.param(lambda alice, real: forged(alice, sub="999999", **REAL_KEY), id="family-of-another-user"),
])
def test_a_forged_access_token_refuses_the_operation(gql, alice, signed_in, make_token):
    response = gql(ME, HTTP_AUTHORIZATION=f"Bearer {make_token(alice, signed_in['accessToken'])}")
    assert [(e["extensions"]["code"], e["extensions"]["reason"]) for e in response.errors] == [
        ("UNAUTHENTICATED", "TOKEN_INVALID")]


def test_signing_out_ends_the_sessions_access_token_at_once(gql, signed_in):
    gql(REVOKE, {"token": signed_in["refreshToken"]}).ok()
    assert gql(ME, HTTP_AUTHORIZATION=f"Bearer {signed_in['accessToken']}").codes == ["UNAUTHENTICATED"]


def test_a_password_changed_in_the_admin_ends_every_session(gql, alice, signed_in):
    alice.set_password("changed by support staff")
    alice.save()
    assert gql(ME, HTTP_AUTHORIZATION=f"Bearer {signed_in['accessToken']}").codes == ["UNAUTHENTICATED"]
    assert codes(refresh(gql, signed_in["refreshToken"])) == ["TOKEN_INVALID"]


def test_a_header_that_is_not_a_bearer_token_is_refused(gql, signed_in):
    response = gql(ME, HTTP_AUTHORIZATION=f"Token {signed_in['accessToken']}")
    assert response.codes == ["UNAUTHENTICATED"]


def test_a_deactivated_customers_access_token_stops_working(gql, alice, signed_in):
    alice.is_active = False
    alice.save()
    assert gql(ME, HTTP_AUTHORIZATION=f"Bearer {signed_in['accessToken']}").codes == ["UNAUTHENTICATED"]


def test_the_token_mutations_ignore_a_stale_header_so_a_refresh_link_works(gql, signed_in):
    gql.bearer("expired-or-forged")
    assert gql(ME).codes == ["UNAUTHENTICATED"]
    assert refresh(gql, signed_in["refreshToken"])["errors"] == []
    assert gql(SIGN_IN, {"email": "alice@example.com", "password": PASSWORD}).ok()["tokenCreate"]["errors"] == []
    reset = "mutation { passwordResetRequest(email: \"alice@example.com\") { errors { code } } }"
    assert gql(reset).ok() == {"passwordResetRequest": {"errors": []}}


def test_only_operations_made_entirely_of_token_mutations_are_exempt(gql, signed_in):
    gql.bearer("expired-or-forged")
    mixed = f"""mutation {{ tokenRefresh(refreshToken: "{signed_in['refreshToken']}") {{ accessToken }}
      accountUpdate(input: {{firstName: "Mallory"}}) {{ user {{ firstName }} }} }}"""
    assert gql(mixed).codes == ["UNAUTHENTICATED"]
    revoke = gql(REVOKE, {"token": signed_in["refreshToken"]})  # not one the contract exempts
    assert revoke.codes == ["UNAUTHENTICATED"]
