"""Access and refresh tokens.

Access tokens are short-lived JWTs, checked without a database round trip for the signature and with one for
the user (still active, password unchanged since the token was issued: the `pwd` claim). Refresh tokens are
opaque random strings stored as digests; each use rotates it, and a rotated token presented again after the
grace window revokes its whole family (see TokenFamily).
"""
import hashlib
import secrets
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from commerce.accounts.models import RefreshToken, TokenFamily, User
from commerce.errors import DomainError

ALGORITHM = "HS256"


class TokenError(DomainError):
    """A token that is not (or no longer) good; `code` is TOKEN_INVALID or TOKEN_EXPIRED."""

    code = "TOKEN_INVALID"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def new_secret() -> tuple[str, str]:
    """A fresh unguessable token (256 bits) and the digest to store in its place."""
    raw = secrets.token_urlsafe(32)
    return raw, digest(raw)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- Access tokens


def _password_stamp(user: User) -> str:
    """Changes whenever the password does, so a password change or reset ends every access token issued before."""
    return salted_hmac("access-token", user.password, secret=settings.JWT_SIGNING_KEY).hexdigest()[:16]


def access_token_for(user: User) -> str:
    now = timezone.now()
    claims = {
        "iss": settings.JWT_ISSUER,
        "sub": str(user.pk),
        "iat": now,
        "exp": now + settings.ACCESS_TOKEN_LIFETIME,
        "typ": "access",
        "pwd": _password_stamp(user),
    }
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM)


def user_for_access_token(token: str) -> User:
    """The active user the token was issued to; TOKEN_EXPIRED or TOKEN_INVALID otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            issuer=settings.JWT_ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("The access token has expired.", code="TOKEN_EXPIRED") from None
    except jwt.InvalidTokenError:
        raise TokenError("The access token is not valid.") from None
    user = User.objects.filter(pk=_int(claims["sub"]), is_active=True).first() if claims.get("typ") == "access" else None
    if user is None or not constant_time_compare(str(claims.get("pwd", "")), _password_stamp(user)):
        raise TokenError("The access token is not valid.")
    return user


def _int(value: str) -> int:
    return int(value) if str(value).isdigit() else -1


# --- Refresh tokens


@transaction.atomic
def sign_in(user: User) -> TokenPair:
    """A new token family for a fresh sign-in: an access token and the first refresh token of the chain."""
    family = TokenFamily.objects.create(user=user)
    return TokenPair(access_token_for(user), _new_refresh_token(family))


def _new_refresh_token(family: TokenFamily) -> str:
    raw, stored = new_secret()
    RefreshToken.objects.create(
        family=family, digest=stored, expires_at=timezone.now() + settings.REFRESH_TOKEN_LIFETIME
    )
    return raw


def _find(raw: str, *, live: bool = True) -> RefreshToken:
    token = RefreshToken.objects.select_related("family__user").filter(digest=digest(raw)).first()
    if token is None or live and (token.family.revoked_at is not None or not token.family.user.is_active):
        raise TokenError("The refresh token is not valid.", field=["refreshToken"])
    return token


def refresh(raw: str) -> tuple[User, TokenPair]:
    """Rotate a refresh token: it is spent, and a new pair comes back.

    Rotation is one conditional UPDATE, so of two requests racing with the same token exactly one rotates it.
    The other (or any later use) is a reuse: within the grace window it is a second tab and gets its own new
    token in the same family; after it, the family is revoked, which is committed even though this call fails.
    """
    token = _find(raw)
    now = timezone.now()
    if token.expires_at <= now:
        raise TokenError("The refresh token has expired.", code="TOKEN_EXPIRED", field=["refreshToken"])
    family, user = token.family, token.family.user
    with transaction.atomic():
        rotated = RefreshToken.objects.filter(pk=token.pk, used_at__isnull=True).update(used_at=now)
        if rotated or now - _used_at(token) <= settings.REFRESH_TOKEN_REUSE_GRACE:
            return user, TokenPair(access_token_for(user), _new_refresh_token(family))
    revoke_family(family, TokenFamily.Revoked.REUSE)
    raise TokenError(
        "This refresh token was already used; every session started from it has been signed out.",
        field=["refreshToken"],
    )


def _used_at(token: RefreshToken):
    return RefreshToken.objects.values_list("used_at", flat=True).get(pk=token.pk)


def revoke(raw: str) -> None:
    """Sign out: end the family the token belongs to (its rotated ancestors and descendants too).

    Signing out twice is not an error; a token that never existed is.
    """
    revoke_family(_find(raw, live=False).family, TokenFamily.Revoked.SIGN_OUT)


def revoke_family(family: TokenFamily, reason: str) -> None:
    TokenFamily.objects.filter(pk=family.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def revoke_all(user: User, reason: str) -> None:
    TokenFamily.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def purge_expired() -> int:
    """Delete refresh tokens past their expiry and families with none left; returns how many tokens went."""
    deleted, _ = RefreshToken.objects.filter(expires_at__lte=timezone.now()).delete()
    TokenFamily.objects.filter(tokens__isnull=True).delete()
    return deleted
