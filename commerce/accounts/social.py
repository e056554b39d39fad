"""Sign in with Google and Apple: the OpenID Connect ID token an app gets from the provider's SDK, checked here.

An ID token is a JWT the provider signs (RS256) with a key it publishes in a JWKS. It is trusted only when the
signature holds against that set, fetched from the configured address only (never from a URL the token names),
and its issuer, audience (one of our client ids), expiry and, when the app gives one, nonce are right. The
provider's account (`sub`) is then linked to a user: by an earlier link, else by the email the provider says it
has verified (an unverified one proves nothing), else a new account is made, verified and without a password.

Apple's refresh token, got from the authorization code of a sign-in when Apple's client secret is configured, is
kept only to revoke it when the account is deleted (App Store rule); see `forget_social_accounts`.
"""
import hashlib
import hmac
import logging
import threading
import time
from dataclasses import dataclass
from typing import NoReturn
from datetime import datetime, timezone as tz

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from commerce.accounts import throttle, tokens
from commerce.accounts.models import SocialAccount, TokenFamily, User, normalize_email
from commerce.accounts.signals import account_erasing, account_registered, email_verified
from commerce.accounts.twofactor import check_second_factor
from commerce.errors import DomainError
from commerce.events import announce

logger = logging.getLogger("commerce.accounts.social")

ALGORITHMS = ["RS256"]  # what Google and Apple sign with; `none`, HS256 (the public key as a secret) are refused
ISSUERS = {  # Google's tokens name their issuer with and without the scheme
    SocialAccount.Provider.GOOGLE: ("https://accounts.google.com", "accounts.google.com"),
    SocialAccount.Provider.APPLE: ("https://appleid.apple.com",),
}


class SocialSignInError(DomainError):
    code = "TOKEN_INVALID"


@dataclass(frozen=True)
class Provider:
    name: str
    issuers: tuple[str, ...]
    jwks_url: str
    client_ids: tuple[str, ...]
    hashed_nonce: bool  # the token's nonce is the SHA-256 (hex) of the app's raw nonce (Apple), not the nonce


def provider(name: str) -> Provider:
    """The provider called `name`, from the settings of the moment; INVALID when unknown or not configured."""
    if name == SocialAccount.Provider.GOOGLE:
        found = Provider(name, ISSUERS[name], settings.GOOGLE_JWKS_URL, tuple(settings.GOOGLE_CLIENT_IDS),
                         hashed_nonce=False)
    elif name == SocialAccount.Provider.APPLE:
        found = Provider(name, ISSUERS[name], settings.APPLE_JWKS_URL, tuple(settings.APPLE_CLIENT_IDS),
                         hashed_nonce=True)
    else:
        raise SocialSignInError(f"Unknown provider '{name}': use 'google' or 'apple'.", code="INVALID",
                                field=["provider"])
    if not found.client_ids:
        raise SocialSignInError(f"Sign-in with '{name}' is not configured on this shop.", code="INVALID",
                                field=["provider"])
    return found


@dataclass(frozen=True)
class Identity:
    """What a verified ID token says: who (provider, subject), their email and whether the provider verified it,
    which of our client ids it was issued to, and when."""

    provider: str
    subject: str
    email: str
    email_verified: bool
    client_id: str
    issued_at: datetime


_clients: dict[tuple, jwt.PyJWKClient] = {}
_clients_lock = threading.Lock()


def _key_set(url: str) -> jwt.PyJWKClient:
    """One JWKS client per address and settings, kept for the process: its cache holds the provider's keys, and
    an unknown `kid` (the provider rotated) fetches them again, at most once per cooldown."""
    lifespan, cooldown = settings.ID_TOKEN_JWKS_LIFESPAN, settings.ID_TOKEN_JWKS_REFRESH_COOLDOWN
    timeout = settings.ID_TOKEN_HTTP_TIMEOUT.total_seconds()
    key = (url, lifespan, cooldown, timeout)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=lifespan.total_seconds(),
                                            cooldown_duration=cooldown.total_seconds(), timeout=timeout)
        return _clients[key]


def verify_id_token(provider_name: str, id_token: str, *, nonce: str | None = None) -> Identity:
    """The identity an ID token proves, or TOKEN_INVALID / TOKEN_EXPIRED (field idToken) saying why not."""
    found = provider(provider_name)
    invalid = SocialSignInError(f"This is not a valid {found.name} ID token.", field=["idToken"])
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.InvalidTokenError:
        raise invalid from None
    if header.get("alg") not in ALGORITHMS or not isinstance(header.get("kid"), str):
        raise invalid
    try:
        key = _key_set(found.jwks_url).get_signing_key(header["kid"])
    except jwt.PyJWKClientConnectionError as down:
        _unreachable(found, down)
    except jwt.PyJWKClientError:  # no key with that kid, even after fetching the set again
        raise invalid from None
    except (jwt.PyJWTError, ValueError) as nonsense:  # the address answered something that is not a key set
        _unreachable(found, nonsense)
    try:
        claims = jwt.decode(
            id_token, key.key, algorithms=ALGORITHMS, audience=found.client_ids, issuer=found.issuers,
            leeway=settings.ID_TOKEN_LEEWAY, options={"require": ["iss", "aud", "sub", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise SocialSignInError("This ID token has expired.", code="TOKEN_EXPIRED", field=["idToken"]) from None
    except (jwt.PyJWTError, ValueError):  # claims, signature, or a published key not fit for RS256
        raise invalid from None
    if nonce is not None:
        expected = hashlib.sha256(nonce.encode()).hexdigest() if found.hashed_nonce else nonce
        if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), expected.encode()):
            raise SocialSignInError("The ID token was not issued for this nonce.", field=["nonce"])
    audience = claims["aud"] if isinstance(claims["aud"], str) else next(a for a in claims["aud"] if a in found.client_ids)
    return Identity(
        provider=found.name,
        subject=str(claims["sub"]),
        email=normalize_email(str(claims.get("email") or "")),
        # Apple sends the string "true"; Google a boolean.
        email_verified=claims.get("email_verified") in (True, "true"),
        client_id=audience,
        issued_at=datetime.fromtimestamp(int(claims["iat"]), tz=tz.utc),
    )


def _unreachable(found: Provider, error: Exception) -> NoReturn:
    logger.warning("The %s key set at %s could not be fetched: %s", found.name, found.jwks_url, error)
    raise SocialSignInError(f"{found.name}'s signing keys could not be fetched: try again shortly.",
                            field=["idToken"]) from None


# --- Signing in


def sign_in(*, provider_name: str, id_token: str, nonce: str | None = None, otp: str | None = None,
            authorization_code: str | None = None, address: str | None = None) -> tuple[User, tokens.TokenPair]:
    """Sign in (or up) with an ID token, from `address` (the caller's IP, for the second factor's counters). A user found by a link or by email passes their second factor before
    anything is written, so a wrong code links nothing; a new account has none to pass."""
    identity = verify_id_token(provider_name, id_token, nonce=nonce)
    for _ in range(2):  # a concurrent first sign-in may make the account or the link in between: look again
        user = _existing_user(identity)
        if user is not None:
            check_second_factor(user, otp, field=["otp"], address=address)
        try:
            with transaction.atomic():
                user, link = _link(identity, user)
            break
        except (IntegrityError, _LinkedElsewhere):
            continue
    else:
        raise SocialSignInError("The account is being created by another sign-in: try again.", field=["idToken"])
    if authorization_code and identity.provider == SocialAccount.Provider.APPLE:
        _keep_apple_refresh_token(link, authorization_code)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return user, tokens.sign_in(user)


def _existing_user(identity: Identity) -> User | None:
    """The user a provider's account signs in as: the linked one, else the one with the email the provider has
    verified; None when the account is new. A closed account, or an unverified email, signs in nobody."""
    link = SocialAccount.objects.select_related("user").filter(
        provider=identity.provider, subject=identity.subject).first()
    if not (link or identity.email_verified and identity.email):
        raise SocialSignInError(
            f"Your {identity.provider} account has no verified email to sign in with.",
            code="INVALID_CREDENTIALS", field=["idToken"])
    user = link.user if link else User.objects.filter(email=identity.email).first()
    if user is not None and not user.is_active:
        raise SocialSignInError("This account is closed.", code="INVALID_CREDENTIALS", field=["idToken"])
    return user


class _LinkedElsewhere(Exception):
    pass


def _link(identity: Identity, user: User | None) -> tuple[User, SocialAccount]:
    if user is None:
        user = User.objects.create_user(identity.email, None, is_email_verified=True)  # no usable password
        announce(account_registered, user_id=user.pk)
        announce(email_verified, user_id=user.pk, email=user.email)
    link, created = SocialAccount.objects.get_or_create(
        provider=identity.provider, subject=identity.subject,
        defaults={"user": user, "email": identity.email, "client_id": identity.client_id})
    if link.user_id != user.pk:  # linked to another account since we looked: its second factor was not asked
        raise _LinkedElsewhere
    if created and not user.is_email_verified:
        _adopt_unverified(user)
    SocialAccount.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    return user, link


def _adopt_unverified(user: User) -> None:
    """The provider proved the email is theirs, so the account now is. Whoever registered it with that email before
    never proved it, and may not be its owner (an attacker making the account first, to share it later): their
    password and sessions end. The owner can set a password through the reset flow."""
    user.is_email_verified = True
    user.set_unusable_password()
    user.save(update_fields=["is_email_verified", "password"])
    tokens.revoke_all(user, TokenFamily.Revoked.PASSWORD)
    announce(email_verified, user_id=user.pk, email=user.email)


# --- A fresh ID token as proof of identity (commerce.accounts.proof)


def confirm_id_token(user: User, id_token: str, *, address: str | None = None) -> None:
    """Raise unless `id_token` is a valid ID token, issued within ID_TOKEN_PROOF_MAX_AGE, for one of the user's
    linked provider accounts, and not used as proof before (each proves once). Attempts count like password
    checks, per (email, `address`)."""
    field = ["idToken"]
    throttle.password_attempt(user.email, address, field=field)
    try:
        _check_proof(user, id_token, field)
    except DomainError:
        throttle.password_failed(user.email, address)
        raise
    throttle.password_succeeded(user.email, address)


def _check_proof(user: User, id_token: str, field: list[str]) -> None:
    wrong = DomainError("This ID token is not a fresh sign-in to this account.", code="INVALID_CREDENTIALS",
                        field=field)
    try:
        identity = verify_id_token(_provider_of(id_token), id_token)
    except SocialSignInError as bad:
        raise DomainError(bad.message, code="INVALID_CREDENTIALS", field=field) from None
    if not SocialAccount.objects.filter(user=user, provider=identity.provider, subject=identity.subject).exists():
        raise wrong
    if identity.issued_at < timezone.now() - settings.ID_TOKEN_PROOF_MAX_AGE:
        raise wrong
    spent_for = settings.ID_TOKEN_PROOF_MAX_AGE + settings.ID_TOKEN_LEEWAY
    if not cache.add("id-token-proof:" + hashlib.sha256(id_token.encode()).hexdigest(), 1,
                     timeout=spent_for.total_seconds()):
        raise wrong


def _provider_of(id_token: str) -> str:
    """Which provider issued a token, by its (still unverified) `iss`; the verification checks it again."""
    try:
        issuer = jwt.decode(id_token, options={"verify_signature": False}).get("iss")
    except jwt.InvalidTokenError:
        issuer = None
    for name, issuers in ISSUERS.items():
        if issuer in issuers:
            return name
    raise DomainError("This is not an ID token from Google or Apple.", code="INVALID_CREDENTIALS", field=["idToken"])


# --- Apple's tokens: kept at sign-in, revoked on deletion


def apple_client_secret_configured() -> bool:
    return bool(settings.APPLE_TEAM_ID and settings.APPLE_KEY_ID and settings.APPLE_PRIVATE_KEY)


def apple_client_secret(client_id: str) -> str:
    """The client secret Apple's token and revoke endpoints ask for: a short-lived ES256 JWT signed with the
    developer account's Sign in with Apple key."""
    now = int(time.time())
    return jwt.encode(
        {"iss": settings.APPLE_TEAM_ID, "iat": now, "exp": now + 300, "aud": "https://appleid.apple.com",
         "sub": client_id},
        settings.APPLE_PRIVATE_KEY, algorithm="ES256", headers={"kid": settings.APPLE_KEY_ID},
    )


def _apple_post(path: str, client_id: str, data: dict) -> requests.Response:
    return requests.post(
        settings.APPLE_API_BASE.rstrip("/") + path,
        data={"client_id": client_id, "client_secret": apple_client_secret(client_id), **data},
        timeout=settings.ID_TOKEN_HTTP_TIMEOUT.total_seconds(), allow_redirects=False,
    )


def _keep_apple_refresh_token(link: SocialAccount, code: str) -> None:
    """Trade a sign-in's authorization code for Apple's refresh token, to revoke on deletion. A failure is logged,
    never the sign-in's: the code can only be used once, within minutes, and signing in does not depend on it."""
    if not apple_client_secret_configured():
        return
    data = {"code": code, "grant_type": "authorization_code"}
    if settings.APPLE_REDIRECT_URI:
        data["redirect_uri"] = settings.APPLE_REDIRECT_URI
    try:
        answer = _apple_post("/auth/token", link.client_id, data)
        answer.raise_for_status()
        body = answer.json()
        subject = jwt.decode(body.get("id_token", ""), options={"verify_signature": False}).get("sub")
    except (requests.RequestException, ValueError, jwt.InvalidTokenError):
        logger.warning("Apple's token endpoint did not take the authorization code", exc_info=True)
        return
    if subject != link.subject or not body.get("refresh_token"):  # a code from another Apple account
        logger.warning("Apple's answer to an authorization code is not for the signed-in account")
        return
    SocialAccount.objects.filter(pk=link.pk).update(apple_refresh_token=body["refresh_token"])


@receiver(account_erasing)
def forget_social_accounts(sender, *, user: User, **kwargs) -> None:
    """An account being deleted loses its links (a later social sign-in makes a new account), and, once the
    deletion commits, its Apple tokens are revoked where Apple's client secret is configured."""
    links = list(user.social_accounts.all())
    apple = [(link.client_id, link.apple_refresh_token) for link in links
             if link.provider == SocialAccount.Provider.APPLE and link.apple_refresh_token]
    SocialAccount.objects.filter(pk__in=[link.pk for link in links]).delete()
    if apple and apple_client_secret_configured():
        transaction.on_commit(lambda: _revoke_apple_tokens(apple))


def _revoke_apple_tokens(tokens_of_user: list[tuple[str, str]]) -> None:
    for client_id, refresh_token in tokens_of_user:
        try:
            _apple_post("/auth/revoke", client_id,
                        {"token": refresh_token, "token_type_hint": "refresh_token"}).raise_for_status()
        except requests.RequestException:
            logger.error("Apple did not revoke a deleted account's token", exc_info=True)
