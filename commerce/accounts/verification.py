"""Proving an email address: the account's own (verification) and a new one (an email change).

A token is mailed to the address to prove. It is a random secret signed with the token's purpose as the salt, so
a token made for one purpose (or a password reset token, which is not signed at all) is refused for another
before the database is read; the database keeps only the secret's digest (EmailToken), which makes the token
single use, bound to one user and one address, and expiring. Using one spends the user's others of its purpose.

Proving an address announces `email_verified`, which is how guest orders placed with it join the account
(commerce.orders.owners): an address typed into a form proves nothing, so nothing joins before.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from commerce.accounts import throttle, tokens
from commerce.accounts.models import EmailToken, User, normalize_email
from commerce.accounts.proof import confirm_identity
from commerce.accounts.services import AccountError
from commerce.accounts.signals import email_change_requested, email_confirmation_requested, email_verified
from commerce.accounts.twofactor import check_second_factor
from commerce.errors import DomainError
from commerce.events import announce

Purpose = EmailToken.Purpose


def _signer(purpose: str) -> signing.Signer:
    # "." never occurs in a urlsafe secret or signature, so the token needs no quoting in a link.
    return signing.Signer(salt=f"commerce.accounts.email-token.{purpose}", sep=".")


def _issue(user: User, purpose: str, email: str, lifetime: timedelta) -> tuple[str, datetime]:
    raw, stored = tokens.new_secret()
    expires_at = timezone.now() + lifetime
    EmailToken.objects.create(user=user, purpose=purpose, email=email, digest=stored, expires_at=expires_at)
    return _signer(purpose).sign(raw), expires_at


def _invalid_link() -> AccountError:
    return AccountError("This link is not valid or was already used.", code="TOKEN_INVALID", field=["token"])


def _redeem(token: str, purpose: str, *, user: User | None = None) -> EmailToken:
    """The unspent token of `purpose` (and of `user`, when given), with its user; TOKEN_INVALID or TOKEN_EXPIRED
    otherwise. The caller spends it if what it proves is done.

    The user's row is locked first, and every change to a user's tokens or email is made holding it: two links
    of one user used at once (or one link twice) queue there, and the second then finds its token spent, instead
    of the two locking token and user rows in opposite orders and deadlocking."""
    try:
        raw = _signer(purpose).unsign(token.strip())
    except signing.BadSignature:
        raise _invalid_link() from None
    tokens_like_it = EmailToken.objects.filter(digest=tokens.digest(raw), purpose=purpose)
    if user is not None:
        tokens_like_it = tokens_like_it.filter(user=user)
    owner_id = tokens_like_it.values_list("user_id", flat=True).first()
    owner = User.objects.select_for_update().filter(pk=owner_id, is_active=True).first()
    found = tokens_like_it.filter(used_at__isnull=True).first() if owner is not None else None
    if found is None:
        raise _invalid_link()
    if found.expires_at <= timezone.now():
        raise AccountError("This link has expired.", code="TOKEN_EXPIRED", field=["token"])
    found.user = owner
    return found


def _spend_all(user: User, *purposes: str) -> None:
    EmailToken.objects.filter(user=user, purpose__in=purposes, used_at__isnull=True).update(used_at=timezone.now())


def _count_request(scope: str, subject: str, limit: int) -> bool:
    """Count a request to mail a link; False past `limit` in the window (it is then dropped, silently)."""
    return throttle.count(scope, subject, settings.EMAIL_CONFIRMATION_REQUEST_WINDOW) <= limit


def _refuse_flood_from(client_ip: str, *, field: list[str]) -> None:
    if not _count_request("email-link-ip", client_ip, settings.EMAIL_CONFIRMATION_MAX_REQUESTS_PER_IP):
        raise AccountError("Too many requests from this address. Try again later.", code="THROTTLED", field=field)


# --- Verifying the account's email


@dataclass(frozen=True)
class EmailLink:
    url: str
    expires_at: datetime


def make_confirmation_link(user: User) -> EmailLink:
    token, expires_at = _issue(user, Purpose.VERIFY, user.email, settings.EMAIL_VERIFICATION_TOKEN_LIFETIME)
    return EmailLink(settings.EMAIL_VERIFICATION_URL.replace("{token}", token), expires_at)


def request_confirmation_email(email: str, *, client_ip: str) -> None:
    """Mail a new verification link; the answer and the work are the same for known, unknown and already
    verified emails (a job looks the account up: find_unverified). Past EMAIL_CONFIRMATION_MAX_REQUESTS for one
    email in the window requests are dropped silently (no flooding an inbox); past the per-IP limit the caller is
    told THROTTLED, which says nothing about any account."""
    email = normalize_email(email)
    _refuse_flood_from(client_ip, field=["email"])
    if _count_request("email-confirmation", email, settings.EMAIL_CONFIRMATION_MAX_REQUESTS):
        announce(email_confirmation_requested, email=email, request_id=uuid.uuid4().hex)


def find_unverified(email: str) -> User | None:
    return User.objects.filter(email=normalize_email(email), is_active=True, is_email_verified=False).first()


@transaction.atomic
def confirm_email(token: str) -> tuple[User, tokens.TokenPair | None]:
    """Mark the account's email verified from an emailed token, and sign in (see _sign_in_by_link)."""
    found = _redeem(token, Purpose.VERIFY)
    user = found.user
    if found.email != user.email:  # sent before an email change: it proves an address the account no longer has
        raise _invalid_link()
    _spend_all(user, Purpose.VERIFY)
    _mark_verified(user)
    return user, _sign_in_by_link(user)


def _mark_verified(user: User) -> None:
    user.is_email_verified = True
    user.save(update_fields=["is_email_verified"])
    announce(email_verified, user_id=user.pk, email=user.email)


def _sign_in_by_link(user: User) -> tokens.TokenPair | None:
    """A fresh sign-in, unless the account needs a second factor: a link in an email is not one, so such an
    account (staff with two-factor) is verified but signs in with tokenCreate as always."""
    try:
        check_second_factor(user, None)
    except DomainError:
        return None
    return tokens.sign_in(user)


def forget_verification(user: User) -> None:
    """For an email set without a link (staff editing it in the admin): the new address is not proved, and the
    links mailed to the old one prove nothing now. The caller saves the user."""
    user.is_email_verified = False
    _spend_all(user, Purpose.VERIFY, Purpose.CHANGE)


# --- Changing the email


def request_email_change(user: User, *, new_email: str, password: str | None = None,
                         id_token: str | None = None, address: str | None = None) -> User:
    """Ask to move the account to `new_email`: a fresh proof of identity, then a job mails a link to the new
    address and tells the old one. Nothing changes until the link is used (confirm_email_change).

    Whether `new_email` already has an account is never answered here: the job tells the new address instead,
    so this leaks nothing registration does not (which answers ALREADY_EXISTS, being unable to pretend)."""
    field = ["newEmail"]
    new_email = normalize_email(new_email)
    try:
        validate_email(new_email)
    except ValidationError:
        raise AccountError("Enter a valid email address.", field=field) from None
    if new_email == user.email:
        raise AccountError("This is already the account's email address.", field=field)
    confirm_identity(user, password=password, id_token=id_token, address=address)
    if not _count_request("email-change", str(user.pk), settings.EMAIL_CONFIRMATION_MAX_REQUESTS):
        raise AccountError("Too many email change requests. Try again later.", code="THROTTLED", field=field)
    announce(email_change_requested, user_id=user.pk, new_email=new_email, request_id=uuid.uuid4().hex)
    return user


def is_taken(email: str, *, by_other_than: User) -> bool:
    return User.objects.filter(email=normalize_email(email)).exclude(pk=by_other_than.pk).exists()


def make_email_change_link(user: User, new_email: str) -> EmailLink:
    token, expires_at = _issue(user, Purpose.CHANGE, new_email, settings.EMAIL_CHANGE_TOKEN_LIFETIME)
    return EmailLink(settings.EMAIL_CHANGE_URL.replace("{token}", token), expires_at)


@transaction.atomic
def confirm_email_change(user: User, token: str) -> User:
    """Move the account to the address the token was mailed to, which is thereby verified. The token must be
    this user's: a link opened while signed in as someone else changes nothing."""
    found = _redeem(token, Purpose.CHANGE, user=user)
    user = found.user
    if is_taken(found.email, by_other_than=user):
        raise AccountError("Another account uses this address now.", code="ALREADY_EXISTS", field=["token"])
    user.email = found.email
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:  # taken by a concurrent registration since the check
        raise AccountError("Another account uses this address now.", code="ALREADY_EXISTS", field=["token"]) from None
    _spend_all(user, Purpose.CHANGE, Purpose.VERIFY)  # links to the old address prove nothing any more
    _mark_verified(user)
    return user


def purge_expired() -> int:
    """Delete email tokens past their expiry (spent or not: either way they prove nothing now)."""
    deleted, _ = EmailToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
