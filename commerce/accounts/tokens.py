"""Access and refresh tokens, both bound to a token family (one sign-in).

Access tokens are short-lived JWTs; checking one costs one query (the user active, the family not revoked, the
password unchanged since the sign-in), so signing out, reuse detection and a password change end them at once,
not 15 minutes later. Refresh tokens are opaque random strings stored as digests and rotate on each use; a
rotated one presented again after the grace window revokes its whole family (see TokenFamily).
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from commerce.accounts.models import RefreshToken, TokenFamily, User
from commerce.accounts.signals import sign_ins_ended
from commerce.errors import DomainError
from commerce.events import announce

ALGORITHM = "HS256"


class TokenError(DomainError):
    """A token that is not (or no longer) good; `code` is TOKEN_INVALID or TOKEN_EXPIRED."""

    code = "TOKEN_INVALID"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_at: datetime  # when `access` stops working, so a client refreshes ahead instead of on a failure


def new_secret() -> tuple[str, str]:
    """A fresh unguessable token (256 bits) and the digest to store in its place."""
    raw = secrets.token_urlsafe(32)
    return raw, digest(raw)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- Access tokens


def _pair(family: TokenFamily) -> TokenPair:
    """A new access token of the sign-in and the next refresh token of its chain."""
    access, expires_at = access_token(family, settings.ACCESS_TOKEN_LIFETIME)
    return TokenPair(access, _new_refresh_token(family), expires_at)


def access_token(family: TokenFamily, lifetime: timedelta) -> tuple[str, datetime]:
    """An access token of the sign-in, good for `lifetime`, and when it stops working."""
    now = timezone.now().replace(microsecond=0)  # JWT times are whole seconds: the payload says what the token says
    expires_at = now + lifetime
    claims = {
        "iss": settings.JWT_ISSUER,
        "sub": str(family.user_id),
        "fam": family.pk,
        "iat": now,
        "exp": expires_at,
        "typ": "access",
    }
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM), expires_at


def user_for_access_token(token: str) -> User:
    """The active user the token was issued to, while its sign-in stands; TOKEN_EXPIRED or TOKEN_INVALID."""
    return sign_in_for_access_token(token).user


def sign_in_for_access_token(token: str) -> TokenFamily:
    """The sign-in (token family, with its user) an access token belongs to, while it stands."""
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            issuer=settings.JWT_ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "fam", "typ"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("The access token has expired.", code="TOKEN_EXPIRED") from None
    except jwt.InvalidTokenError:
        raise TokenError("The access token is not valid.") from None
    family = None
    if claims["typ"] == "access" and str(claims["sub"]).isdigit() and isinstance(claims["fam"], int):
        family = standing_sign_in(claims["fam"])
    if family is None or family.user_id != int(claims["sub"]):
        raise TokenError("The access token is not valid.")
    return family


def standing_sign_in(family_id: int) -> TokenFamily | None:
    """The sign-in if it still stands: not signed out or revoked, its user active, the password unchanged since.

    A websocket checks this at each operation it starts, so one opened with an access token follows the sign-in
    (signing out, a password change or deactivation ends it, and a changed staff flag counts at once) rather than
    the token's fifteen minutes, which would end every tracking screen after a quarter of an hour.
    """
    family = _live_families().filter(pk=family_id).first()
    return family if family is not None and _stamp_matches(family) else None


def standing_sign_ins(family_ids: list[int]) -> set[int]:
    """Which of these sign-ins still stand, in one query: the periodic check of a process's live sockets."""
    return {family.pk for family in _live_families().filter(pk__in=family_ids) if _stamp_matches(family)}


def _live_families():
    return TokenFamily.objects.select_related("user").filter(revoked_at__isnull=True, user__is_active=True)


def _stamp_matches(family: TokenFamily) -> bool:
    return secrets.compare_digest(family.password_stamp, family.user.get_session_auth_hash())


# --- Refresh tokens


@transaction.atomic
def sign_in(user: User) -> TokenPair:
    """A new token family for a fresh sign-in: an access token and the first refresh token of the chain."""
    family = TokenFamily.objects.create(user=user, password_stamp=user.get_session_auth_hash())
    return _pair(family)


def session_sign_in(user: User, family_id: int | None) -> TokenFamily:
    """The API sign-in behind a browser session (the admin's live board): the one this session already holds
    while it stands, else a new one with no refresh token. The session renews its access tokens through its
    own cookie, so there is no refresh token to steal, and ending the session (signing out, a password change)
    ends the sign-in, as revoke_family on sign-out and the password stamp see to. Having no refresh token, it
    goes in the nightly purge (purge_expired): the session then starts another at its next renewal, and a board
    whose socket is refused meanwhile asks for a token at once."""
    family = standing_sign_in(family_id) if family_id is not None else None
    if family is not None and family.user_id == user.pk:
        return family
    return TokenFamily.objects.create(user=user, password_stamp=user.get_session_auth_hash())


def _new_refresh_token(family: TokenFamily) -> str:
    raw, stored = new_secret()
    RefreshToken.objects.create(
        family=family, digest=stored, expires_at=timezone.now() + settings.REFRESH_TOKEN_LIFETIME
    )
    return raw


def _find(raw: str) -> RefreshToken:
    token = RefreshToken.objects.filter(digest=digest(raw)).first()
    if token is None:
        raise TokenError("The refresh token is not valid.", field=["refreshToken"])
    return token


def refresh(raw: str) -> tuple[User, TokenPair]:
    """Rotate a refresh token: it is spent, and a new pair comes back.

    The family row is locked for the rotation, so it is serialized with other refreshes and with revocation:
    of two requests racing with one token exactly one rotates it. The other (or any later use) is a reuse:
    within the grace window it is a second tab and gets its own new token in the same family; after it, the
    family is revoked, which is committed even though this call fails.
    """
    token = _find(raw)
    with transaction.atomic():
        family = _live_families().select_for_update(of=("self",)).filter(pk=token.family_id).first()
        # Read the clock holding the lock: a request that read it before waiting there could find the token
        # spent "in the future" (a negative age, within any grace) and rotate it a second time.
        now = timezone.now()
        if family is None or not _stamp_matches(family):
            raise TokenError("The refresh token is not valid.", field=["refreshToken"])
        if token.expires_at <= now:
            raise TokenError("The refresh token has expired.", code="TOKEN_EXPIRED", field=["refreshToken"])
        rotated = RefreshToken.objects.filter(pk=token.pk, used_at__isnull=True).update(used_at=now)
        if rotated or now - RefreshToken.objects.get(pk=token.pk).used_at <= settings.REFRESH_TOKEN_REUSE_GRACE:
            return family.user, _pair(family)
    revoke_family(family, TokenFamily.Revoked.REUSE)
    raise TokenError(
        "This refresh token was already used; every session started from it has been signed out.",
        field=["refreshToken"],
    )


def revoke(raw: str) -> None:
    """Sign out: end the family the token belongs to (its rotated ancestors and descendants too).

    Signing out twice is not an error; a token that never existed is.
    """
    revoke_family(_find(raw).family, TokenFamily.Revoked.SIGN_OUT)


def revoke_family(family: TokenFamily, reason: str) -> None:
    """End one sign-in; once that commits, its live sockets are told (`sign_ins_ended`) and close."""
    if TokenFamily.objects.filter(pk=family.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason):
        announce(sign_ins_ended, family_ids=[family.pk], user_id=None)


def revoke_all(user: User, reason: str) -> None:
    """End every sign-in of the user, and (on commit) every live socket of theirs, those of sign-ins that were
    already revoked included: a socket outlives its sign-in only until it is told."""
    TokenFamily.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    announce(sign_ins_ended, family_ids=[], user_id=user.pk)


def end_sockets_of_changed_users(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    """post_save of User (connected in AccountsConfig.ready): a deactivated account, or a password set on the
    instance (the admin's password form, set_password anywhere), ends the sign-ins standing_sign_in would refuse
    from now on; their live sockets are told on commit. `_password` is Django's own mark of a password set since
    the last save (AbstractBaseUser.save clears it after this signal)."""
    if created:
        return
    if not instance.is_active or getattr(instance, "_password", None) is not None:
        announce(sign_ins_ended, family_ids=[], user_id=instance.pk)


def purge_expired() -> int:
    """Delete refresh tokens past their expiry and families with none left; returns how many tokens went."""
    deleted, _ = RefreshToken.objects.filter(expires_at__lte=timezone.now()).delete()
    TokenFamily.objects.filter(tokens__isnull=True).delete()
    return deleted
