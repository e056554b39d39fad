"""Accounts: registering, signing in, passwords and addresses. Every rule about a customer's account is here."""
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from commerce.accounts import throttle, tokens, twofactor
from commerce.accounts.models import Address, PasswordResetToken, TokenFamily, User, normalize_email
from commerce.accounts.signals import account_registered, password_reset_requested
from commerce.errors import DomainError, DomainErrors
from commerce.events import announce
from commerce.permissions import get_owned
from commerce.validation import check_fields


class AccountError(DomainError):
    pass


def _check_password(password: str, user: User, *, field: list[str]) -> None:
    """Django's password validators (length, common, numeric, similar to the name or email), every failure."""
    try:
        validate_password(password, user)
    except ValidationError as weak:
        raise DomainErrors(AccountError(m, code="PASSWORD_TOO_WEAK", field=field) for m in weak.messages) from None


# --- Registering and the profile


@transaction.atomic
def register(*, email: str, password: str, first_name: str = "", last_name: str = "") -> tuple[User, tokens.TokenPair]:
    """A new customer account, signed in at once; the welcome email goes out from a job after the commit.

    An email that has an account is answered ALREADY_EXISTS (registration signs the new account in, so it could
    not pretend otherwise), but only after the same password hashing a new account costs: answered at once, the
    refusal's speed alone would tell which emails are customers. The sign-up throttle (the per-address auth
    bucket, graph.transport.metering) bounds how fast anyone can ask.
    """
    user = User(email=normalize_email(email), first_name=first_name.strip(), last_name=last_name.strip())
    try:
        check_fields(user, ["email", "first_name", "last_name"], path=["input"])
        _check_password(password, user, field=["input", "password"])
    except DomainError:
        make_password(password)  # the work a new account's password costs, so a refusal takes as long
        raise
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # registered by a concurrent request since the uniqueness check
        raise AccountError(
            "An account with this email already exists.", code="ALREADY_EXISTS", field=["input", "email"]
        ) from None
    announce(account_registered, user_id=user.pk)
    return user, tokens.sign_in(user)


def update_profile(user: User, *, first_name: str | None = None, last_name: str | None = None) -> User:
    """Change the names given; None leaves one as it is."""
    changed = {name: value.strip() for name, value in {"first_name": first_name, "last_name": last_name}.items()
               if value is not None}
    for name, value in changed.items():
        setattr(user, name, value)
    check_fields(user, list(changed), path=["input"])
    user.save(update_fields=list(changed))
    return user


# --- Signing in and passwords


def sign_in(*, email: str, password: str, address: str | None, otp: str | None = None) -> tuple[User, tokens.TokenPair]:
    """Credentials for a token pair; failures are throttled per (email, address) (see throttle). With two-factor
    on, the code too (`otp`: OTP_REQUIRED until it is given), counted per account and per address."""
    user = check_credentials(email=email, password=password, address=address, field=["email"])
    twofactor.check_second_factor(user, otp, field=["otp"], address=address)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return user, tokens.sign_in(user)


def check_credentials(*, email: str, password: str, address: str | None, field: list[str]) -> User:
    """The active user with this email and password, or INVALID_CREDENTIALS (the same for an unknown email) or
    THROTTLED; every password sign-in goes through here or through the same counters (commerce.accounts.forms
    for the admin's login)."""
    email = normalize_email(email)
    throttle.password_attempt(email, address, field=field)
    user = authenticate(email=email, password=password)  # hashes even for unknown emails: no timing oracle
    if user is None:
        throttle.password_failed(email, address)
        raise AccountError("The email or password is not correct.", code="INVALID_CREDENTIALS", field=field)
    throttle.password_succeeded(email, address)
    return user


@transaction.atomic
def change_password(user: User, *, old_password: str, new_password: str, address: str | None) -> tokens.TokenPair:
    """A new password signs out every other session; the caller gets a fresh pair to stay signed in.

    Guesses at the current password count against the same throttle as sign-ins, so a stolen access token
    cannot be used to find the password.
    """
    throttle.password_attempt(user.email, address, field=["oldPassword"])
    if not user.check_password(old_password):
        throttle.password_failed(user.email, address)
        raise AccountError("The current password is not correct.", code="INVALID_CREDENTIALS", field=["oldPassword"])
    throttle.password_succeeded(user.email, address)
    _check_password(new_password, user, field=["newPassword"])
    _set_password(user, new_password)
    return tokens.sign_in(user)


def _set_password(user: User, password: str) -> None:
    """A new password ends every session and every outstanding reset link."""
    user.set_password(password)
    user.save(update_fields=["password"])
    tokens.revoke_all(user, TokenFamily.Revoked.PASSWORD)
    PasswordResetToken.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())


def request_password_reset(email: str) -> None:
    """Ask for a reset link to be emailed; the answer and the work are the same for known and unknown emails.

    Every request is handed to a job, which looks the account up (find_reset_recipient): doing the lookup here
    would make known emails measurably slower to answer. The job makes the token, so it never sits in a queue.
    Past PASSWORD_RESET_MAX_REQUESTS in a window for one email, requests are dropped silently, so nobody can
    flood an inbox with reset emails.
    """
    email = normalize_email(email)
    requests = throttle.count("password-reset", email, settings.PASSWORD_RESET_REQUEST_WINDOW)
    if requests <= settings.PASSWORD_RESET_MAX_REQUESTS:
        announce(password_reset_requested, email=email, request_id=uuid.uuid4().hex)


def find_reset_recipient(email: str) -> User | None:
    return User.objects.filter(email=normalize_email(email), is_active=True).first()


@dataclass(frozen=True)
class ResetLink:
    url: str
    expires_at: datetime


def make_password_reset_link(user: User) -> ResetLink:
    raw, stored = tokens.new_secret()
    expires_at = timezone.now() + settings.PASSWORD_RESET_TOKEN_LIFETIME
    PasswordResetToken.objects.create(user=user, digest=stored, expires_at=expires_at)
    return ResetLink(settings.PASSWORD_RESET_URL.replace("{token}", raw), expires_at)


@transaction.atomic
def reset_password(*, token: str, password: str, address: str | None = None) -> tuple[User, tokens.TokenPair]:
    """Set a new password from an emailed token: single use, and using one ends every other reset token and
    every session, since whoever had the old password may not be the owner."""
    reset = PasswordResetToken.objects.select_for_update().select_related("user").filter(
        digest=tokens.digest(token), used_at__isnull=True, user__is_active=True
    ).first()
    if reset is None:
        raise AccountError("This reset link is not valid or was already used.", code="TOKEN_INVALID", field=["token"])
    if reset.expires_at <= timezone.now():
        raise AccountError("This reset link has expired.", code="TOKEN_EXPIRED", field=["token"])
    user = reset.user
    _check_password(password, user, field=["password"])
    _set_password(user, password)
    throttle.password_succeeded(user.email, address)  # the owner proved it by email: this address may sign in
    return user, tokens.sign_in(user)


# --- Addresses


ADDRESS_FIELDS = ["first_name", "last_name", "line1", "line2", "city", "postal_code", "country_code", "phone"]


def fill_address(address: Address, data: dict, *, path: list[str]) -> Address:
    """Set and check an address's fields from API input (unsaved); errors name fields under `path`."""
    for name in ADDRESS_FIELDS:
        setattr(address, name, (data.get(name) or "").strip())
    address.country_code = address.country_code.upper()
    check_fields(address, ADDRESS_FIELDS, path=path)
    if address.country_code not in settings.SHOP_COUNTRIES:
        raise AccountError(f"The shop does not deliver to '{address.country_code}'.", field=[*path, "countryCode"])
    return address


def copy_address(address: Address) -> Address:
    """A saved copy outside any address book, for a cart or an order to keep as it is."""
    return Address.objects.create(user=None, **{name: getattr(address, name) for name in ADDRESS_FIELDS})


def purge_unheld_copies(among: list[int] | None = None) -> int:
    """Delete the copies nothing holds any more (only those `among` these ids, if given). Their holders (carts,
    orders, whatever comes to keep one) are found by their foreign keys to Address, so accounts, below them all,
    names none of them."""
    copies = Address.objects.filter(user__isnull=True)
    if among is not None:
        copies = copies.filter(pk__in=among)
    for holder in Address._meta.get_fields(include_hidden=True):
        if holder.one_to_many and holder.auto_created:  # the reverse side of another model's foreign key
            copies = copies.exclude(Exists(holder.related_model._base_manager.filter(**{holder.field.name: OuterRef("pk")})))
    deleted, _ = copies.delete()
    return deleted


@transaction.atomic
def create_address(user: User, data: dict) -> Address:
    User.objects.select_for_update().filter(pk=user.pk).first()  # one at a time per user, so the cap holds
    if user.addresses.count() >= settings.MAX_ADDRESSES_PER_USER:
        raise AccountError(f"An account keeps at most {settings.MAX_ADDRESSES_PER_USER} addresses.")
    address = fill_address(Address(user=user), data, path=["input"])
    address.save()
    return address


def update_address(user: User, address_id: int, data: dict) -> Address:
    address = fill_address(get_owned(Address.objects, user, address_id, field=["id"]), data, path=["input"])
    address.save()
    return address


def delete_address(user: User, address_id: int) -> Address:
    """Delete one of the user's addresses; the returned copy keeps its id for the client's cache."""
    address = get_owned(Address.objects, user, address_id, field=["id"])
    deleted_id = address.pk
    address.delete()
    address.pk = deleted_id
    return address
