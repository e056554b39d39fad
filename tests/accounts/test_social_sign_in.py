"""Sign in with Google and Apple: ID tokens signed by a test key (RS256) that a local server publishes as the
provider's JWKS, so the verification (PyJWKClient, signatures, claims) runs as in production."""
import hashlib
import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.db import transaction

from commerce.accounts import proof
from commerce.accounts.models import SocialAccount, TokenFamily, User
from commerce.accounts.signals import account_erasing
from commerce.errors import DomainError
from tests.accounts.conftest import PASSWORD, SIGN_IN
from tests.fakes.oidc import (
    APPLE_CLIENT_IDS,
    APPLE_KEY_ID,
    APPLE_TEAM_ID,
    GOOGLE_CLIENT_IDS,
    FakeIdentityProviders,
    apple_private_key_pem,
    rsa_key,
)

SOCIAL = """mutation ($provider: String!, $idToken: String!, $cartToken: String, $nonce: String, $code: String,
  $otp: String) { tokenCreateFromIdToken(provider: $provider, idToken: $idToken, cartToken: $cartToken, nonce: $nonce,
                                         authorizationCode: $code, otp: $otp) {
    accessToken refreshToken user { email } errors { field code message } } }"""
ME = "{ me { email } }"


@pytest.fixture(scope="module")
def _idp_server():
    fake = FakeIdentityProviders()
    yield fake
    fake.close()


@pytest.fixture
def idp(_idp_server, settings):
    """Google and Apple as our settings see them, at a fresh address per test (so no key set is cached from
    another test), refetching at once on an unknown key id."""
    fake = _idp_server
    fake.reset()
    settings.GOOGLE_JWKS_URL, settings.APPLE_JWKS_URL = fake.jwks_url("google"), fake.jwks_url("apple")
    settings.GOOGLE_CLIENT_IDS, settings.APPLE_CLIENT_IDS = GOOGLE_CLIENT_IDS, APPLE_CLIENT_IDS
    settings.ID_TOKEN_JWKS_REFRESH_COOLDOWN = timedelta(0)
    settings.APPLE_API_BASE = fake.base
    return fake


@pytest.fixture
def apple_secret(settings):
    settings.APPLE_TEAM_ID, settings.APPLE_KEY_ID = APPLE_TEAM_ID, APPLE_KEY_ID
    settings.APPLE_PRIVATE_KEY = apple_private_key_pem()


def social(gql, provider: str, id_token: str, **variables) -> dict:
    return gql(SOCIAL, {"provider": provider, "idToken": id_token, **variables}).ok()["tokenCreateFromIdToken"]


def errors(payload: dict) -> list:
    return [(e["field"], e["code"]) for e in payload["errors"]]


# --- Signing in and up


def test_a_first_google_sign_in_makes_a_verified_account_without_a_password(gql, idp):
    payload = social(gql, "google", idp.id_token("google", sub="g-1", email="Ann@Example.com"))
    assert payload["errors"] == [] and payload["user"] == {"email": "ann@example.com"}
    assert gql.bearer(payload["accessToken"])(ME).ok() == {"me": {"email": "ann@example.com"}}
    user = User.objects.get(email="ann@example.com")
    assert user.is_email_verified and not user.has_usable_password()
    assert list(user.social_accounts.values_list("provider", "subject", "client_id")) == [
        ("google", "g-1", GOOGLE_CLIENT_IDS[0])]


def test_the_next_sign_in_finds_the_account_by_its_link_whatever_the_email_has_become(gql, idp):
    first = social(gql, "google", idp.id_token("google", sub="g-1", email="ann@example.com"))
    again = social(gql, "google", idp.id_token("google", sub="g-1", email="ann@new.example", iss="accounts.google.com",
                                               aud=GOOGLE_CLIENT_IDS[1]))  # another app, Google's other issuer
    assert first["user"] == again["user"] == {"email": "ann@example.com"}
    assert User.objects.count() == 1 and SocialAccount.objects.count() == 1


def test_apple_sign_in_takes_email_verified_as_the_string_true(gql, idp):
    payload = social(gql, "apple", idp.id_token("apple", sub="a.1", email="x1@privaterelay.appleid.com",
                                                email_verified="true", is_private_email="true"))
    assert payload["errors"] == [] and payload["user"] == {"email": "x1@privaterelay.appleid.com"}
    assert User.objects.get().is_email_verified


@pytest.mark.parametrize("email_verified", [False, "false", None])
def test_an_email_the_provider_has_not_verified_links_and_makes_nothing(gql, idp, alice, email_verified):
    for email in (alice.email, "new@example.com"):
        payload = social(gql, "google", idp.id_token("google", email=email, email_verified=email_verified))
        assert errors(payload) == [(["idToken"], "INVALID_CREDENTIALS")] and payload["accessToken"] is None
    assert not SocialAccount.objects.exists() and User.objects.count() == 1


def test_a_verified_email_links_the_existing_account(gql, idp, alice):
    User.objects.filter(pk=alice.pk).update(is_email_verified=True)
    payload = social(gql, "google", idp.id_token("google", sub="g-7", email="ALICE@example.com"))
    assert payload["user"] == {"email": alice.email}
    assert SocialAccount.objects.get().user == alice
    assert gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]["errors"] == []


def test_linking_an_unverified_account_ends_the_password_and_sessions_of_whoever_registered_it(gql, idp, alice):
    """Someone may have registered the address first, to share the account with its owner once they link it:
    the provider proved the owner, nobody proved the password."""
    squatter = gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]
    payload = social(gql, "apple", idp.id_token("apple", sub="a.9", email=alice.email))
    assert payload["user"] == {"email": alice.email}
    alice.refresh_from_db()
    assert alice.is_email_verified and not alice.has_usable_password()
    assert TokenFamily.objects.filter(user=alice, revoked_at__isnull=True).count() == 1  # the new sign-in's only
    assert gql.bearer(squatter["accessToken"])(ME).codes == ["UNAUTHENTICATED"]
    assert errors(gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]) == [
        (["email"], "INVALID_CREDENTIALS")]


def test_a_closed_account_does_not_sign_in(gql, idp, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False, is_email_verified=True)
    payload = social(gql, "google", idp.id_token("google", email=alice.email))
    assert errors(payload) == [(["idToken"], "INVALID_CREDENTIALS")]


def test_the_guest_cart_joins_the_account_and_a_stale_authorization_header_is_ignored(gql, idp, store, new_cart):
    guest = new_cart((store.mug_id, 2))["cart"]
    gql.bearer("expired.or.forged")
    payload = social(gql, "google", idp.id_token("google"), cartToken=guest["token"])
    cart = gql.bearer(payload["accessToken"])("{ me { cart { token email totalQuantity } } }").ok()["me"]["cart"]
    assert cart == {"token": guest["token"], "email": "ann@example.com", "totalQuantity": 2}


# --- Tokens refused


def _hs256_with_the_public_key(idp) -> str:
    """The classic confusion: HS256 with the RSA public key (which anyone can fetch) as the HMAC secret."""
    import base64
    import hmac as hmac_
    import json

    pem = idp.key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")  # noqa: E731
    signing_input = part({"alg": "HS256", "kid": idp.kid, "typ": "JWT"}) + b"." + part(
        {"iss": "https://accounts.google.com", "aud": GOOGLE_CLIENT_IDS[0], "sub": "evil", "iat": now,
         "exp": now + 600, "email": "victim@example.com", "email_verified": True})
    signature = base64.urlsafe_b64encode(hmac_.new(pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return (signing_input + b"." + signature).decode()


def _unsigned(idp) -> str:
    token = idp.id_token("google", email="victim@example.com")
    header, payload, _ = token.split(".")
    import base64

    none = base64.urlsafe_b64encode(b'{"alg":"none","kid":"%s","typ":"JWT"}' % idp.kid.encode()).rstrip(b"=")
    return f"{none.decode()}.{payload}."


def _tampered(idp) -> str:
    header, payload, signature = idp.id_token("google").split(".")
    other = idp.id_token("google", sub="someone-else").split(".")[1]
    return f"{header}.{other}.{signature}"


REFUSED = {
    "another audience": lambda idp: idp.id_token("google", aud="someone-elses-app.apps.googleusercontent.com"),
    "another issuer": lambda idp: idp.id_token("google", iss="https://evil.example"),
    "apple's token as google's": lambda idp: idp.id_token("apple"),
    "alg none": _unsigned,
    "HS256 with the public key": _hs256_with_the_public_key,
    "another key under a known kid": lambda idp: idp.id_token("google", key=rsa_key(5)),
    "an unknown kid": lambda idp: idp.id_token("google", key=rsa_key(5), kid="not-published"),
    "a tampered payload": _tampered,
    "no subject": lambda idp: idp.id_token("google", sub=None),
    "not a JWT": lambda idp: "not-a-token",
}


@pytest.mark.parametrize("make", REFUSED.values(), ids=REFUSED.keys())
def test_refused_tokens_sign_in_nobody_and_change_nothing(gql, idp, make):
    payload = social(gql, "google", make(idp))
    assert errors(payload) == [(["idToken"], "TOKEN_INVALID")] and payload["accessToken"] is None
    assert not User.objects.exists()


def test_an_expired_token_is_refused_as_expired(gql, idp):
    now = int(time.time())
    payload = social(gql, "google", idp.id_token("google", iat=now - 3600, exp=now - 120))
    assert errors(payload) == [(["idToken"], "TOKEN_EXPIRED")]


def test_a_provider_unknown_or_not_configured(gql, idp, settings):
    assert errors(social(gql, "facebook", idp.id_token("google"))) == [(["provider"], "INVALID")]
    settings.APPLE_CLIENT_IDS = []
    assert errors(social(gql, "apple", idp.id_token("apple"))) == [(["provider"], "INVALID")]


@pytest.mark.parametrize("reply", [(500, {"error": "down"}), (404, {}), (200, b"<html>maintenance</html>"),
                                   (200, ["not", "a", "key", "set"]), (200, {"keys": [{"kty": "RSA"}]})],
                         ids=["5xx", "404", "not JSON", "not an object", "no usable key"])
def test_a_provider_down_or_answering_nonsense_is_an_error_not_a_crash(gql, idp, reply):
    idp.jwks_reply = reply
    payload = social(gql, "google", idp.id_token("google"))
    assert errors(payload) == [(["idToken"], "TOKEN_INVALID")] and payload["accessToken"] is None
    assert not User.objects.exists()


def test_a_provider_that_does_not_answer_in_time(gql, idp, settings):
    settings.ID_TOKEN_HTTP_TIMEOUT = timedelta(seconds=0.3)
    idp.slow = 1.0
    payload = social(gql, "google", idp.id_token("google"))
    assert errors(payload) == [(["idToken"], "TOKEN_INVALID")] and "try again" in payload["errors"][0]["message"]


def test_sign_ins_with_id_tokens_count_against_the_address(gql, idp, settings):
    """The per-address sign-in bucket (AUTH_THROTTLE_*) holds for ID tokens as for passwords."""
    for _ in range(settings.AUTH_THROTTLE_MAXIMUM):
        social(gql, "google", "not-a-token")
    refused = gql(SOCIAL, {"provider": "google", "idToken": idp.id_token("google")})
    assert refused.codes == ["THROTTLED"] and not User.objects.exists()


# --- Keys rotate


def test_a_rotated_key_is_fetched_when_a_token_names_it(gql, idp):
    assert social(gql, "google", idp.id_token("google", sub="g-1"))["errors"] == []
    assert social(gql, "google", idp.id_token("google", sub="g-1"))["errors"] == []
    assert idp.fetches("google") == 1  # cached
    idp.rotate()
    assert social(gql, "google", idp.id_token("google", sub="g-1"))["errors"] == []
    assert idp.fetches("google") == 2
    # The old key is gone from the set now: a token it signed (say, stolen before the rotation) no longer holds.
    old = idp.id_token("google", sub="g-1", key=rsa_key(0), kid="key-0")
    assert errors(social(gql, "google", old)) == [(["idToken"], "TOKEN_INVALID")]


def test_unknown_key_ids_refetch_at_most_once_per_cooldown(gql, idp, settings):
    settings.ID_TOKEN_JWKS_REFRESH_COOLDOWN = timedelta(seconds=2)
    assert social(gql, "google", idp.id_token("google"))["errors"] == []
    fetched_at = time.monotonic()
    for n in range(5):  # made-up key ids cannot make us hammer the provider
        social(gql, "google", idp.id_token("google", key=rsa_key(5), kid=f"made-up-{n}"))
    idp.rotate()
    assert errors(social(gql, "google", idp.id_token("google"))) == [(["idToken"], "TOKEN_INVALID")]
    assert idp.fetches("google") == 1
    time.sleep(max(0.0, fetched_at + 2.1 - time.monotonic()))
    assert social(gql, "google", idp.id_token("google"))["errors"] == []
    assert idp.fetches("google") == 2


# --- Nonces


def test_apples_nonce_is_the_sha256_of_the_raw_nonce_the_app_sends(gql, idp):
    token = idp.id_token("apple", nonce=hashlib.sha256(b"raw-nonce-1").hexdigest())
    assert errors(social(gql, "apple", token, nonce="raw-nonce-2")) == [(["nonce"], "TOKEN_INVALID")]
    assert errors(social(gql, "apple", token, nonce=hashlib.sha256(b"raw-nonce-1").hexdigest())) == [
        (["nonce"], "TOKEN_INVALID")]  # the hash is what the token shows anyone: only the raw nonce proves it
    assert social(gql, "apple", token, nonce="raw-nonce-1")["errors"] == []


def test_googles_nonce_is_the_nonce_and_a_token_without_one_is_refused_when_one_is_given(gql, idp):
    assert social(gql, "google", idp.id_token("google", nonce="n-1"), nonce="n-1")["errors"] == []
    assert errors(social(gql, "google", idp.id_token("google"), nonce="n-1")) == [(["nonce"], "TOKEN_INVALID")]


# --- A fresh ID token proves who the user is (accountDelete, twoFactorSetup, email change)


@pytest.fixture
def ann(gql, idp) -> User:
    social(gql, "google", idp.id_token("google", sub="g-ann", email="ann@example.com"))
    return User.objects.get(email="ann@example.com")


def test_a_fresh_id_token_of_the_users_own_provider_account_proves_them(idp, ann):
    proof.confirm_identity(ann, id_token=idp.id_token("google", sub="g-ann"))


@pytest.mark.parametrize("make", [
    lambda idp: idp.id_token("google", sub="g-someone-else"),
    lambda idp: idp.id_token("apple", sub="g-ann"),  # the same subject at another provider is another account
    lambda idp: idp.id_token("google", sub="g-ann", iat=int(time.time()) - 3600),  # valid, but not fresh
    lambda idp: idp.id_token("google", sub="g-ann", aud="another-app"),
    lambda idp: "not-a-token",
], ids=["another account", "another provider", "not fresh", "another audience", "not a token"])
def test_other_id_tokens_prove_nothing(idp, ann, make):
    with pytest.raises(DomainError) as refused:
        proof.confirm_identity(ann, id_token=make(idp))
    assert (refused.value.code, refused.value.field) == ("INVALID_CREDENTIALS", ["idToken"])


def test_an_id_token_proves_once(idp, ann):
    token = idp.id_token("google", sub="g-ann")
    proof.confirm_identity(ann, id_token=token)
    with pytest.raises(DomainError):
        proof.confirm_identity(ann, id_token=token)


# --- Apple's tokens revoked when the account is erased


def test_erasing_an_apple_account_revokes_its_apple_token_after_the_commit(gql, idp, apple_secret,
                                                                            django_capture_on_commit_callbacks):
    idp.codes["code-1"] = "a.42"
    payload = social(gql, "apple", idp.id_token("apple", sub="a.42", aud=APPLE_CLIENT_IDS[1]), code="code-1")
    assert payload["errors"] == []
    link = SocialAccount.objects.get()
    assert link.apple_refresh_token.startswith("r.a.42.") and link.client_id == APPLE_CLIENT_IDS[1]
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            account_erasing.send(sender=None, user=link.user)  # as accountDelete does
            assert idp.revoked == []  # not before the deletion commits
    assert idp.revoked == [{"client_id": APPLE_CLIENT_IDS[1], "client_secret": idp.revoked[0]["client_secret"],
                            "token": link.apple_refresh_token, "token_type_hint": "refresh_token"}]
    assert not SocialAccount.objects.exists()


def test_a_code_of_another_apple_account_keeps_nothing(gql, idp, apple_secret):
    idp.codes["code-2"] = "a.someone-else"
    assert social(gql, "apple", idp.id_token("apple", sub="a.43"), code="code-2")["errors"] == []
    assert SocialAccount.objects.get().apple_refresh_token == ""


def test_without_apples_client_secret_nothing_is_traded_or_revoked(gql, idp, django_capture_on_commit_callbacks):
    idp.codes["code-3"] = "a.44"
    assert social(gql, "apple", idp.id_token("apple", sub="a.44"), code="code-3")["errors"] == []
    user = User.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        account_erasing.send(sender=None, user=user)
    assert idp.calls_to("/auth/token") == idp.calls_to("/auth/revoke") == []
    assert not SocialAccount.objects.exists()


def test_apple_refusing_the_code_does_not_stop_the_sign_in(gql, idp, apple_secret):
    payload = social(gql, "apple", idp.id_token("apple", sub="a.45"), code="never-issued")
    assert payload["errors"] == [] and SocialAccount.objects.get().apple_refresh_token == ""
    assert len(idp.calls_to("/auth/token")) == 1


def test_staff_see_the_links_in_the_admin(admin_client, ann):
    from django.urls import reverse

    link = ann.social_accounts.get()
    page = admin_client.get(reverse("admin:accounts_user_change", args=[ann.pk]))
    assert page.status_code == 200 and b"g-ann" in page.content
    page = admin_client.get(reverse("admin:accounts_socialaccount_change", args=[link.pk]))
    assert page.status_code == 200 and b"apple_refresh_token" not in page.content


def test_social_sign_in_does_not_bypass_two_factor(gql, idp, ann, settings):
    """An account with two-factor on gets OTP_REQUIRED from an ID token alone, and signs in with the code."""
    from tests.accounts.test_two_factor import totp, turn_on

    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's back-off after the wrong code (tests/accounts/test_two_factor)
    secret = turn_on(ann)
    without = social(gql, "google", idp.id_token("google", sub="g-ann"))
    assert errors(without) == [(["otp"], "OTP_REQUIRED")] and without["accessToken"] is None
    wrong_code = "000000" if totp(secret) != "000000" else "111111"
    wrong = social(gql, "google", idp.id_token("google", sub="g-ann"), otp=wrong_code)
    assert errors(wrong) == [(["otp"], "INVALID_CREDENTIALS")]
    signed_in = social(gql, "google", idp.id_token("google", sub="g-ann"), otp=totp(secret))
    assert signed_in["errors"] == [] and signed_in["accessToken"]
