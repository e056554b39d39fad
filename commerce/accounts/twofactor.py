"""Two-factor sign-in (TOTP, RFC 6238). Every way of signing in goes through `check_second_factor`
after the first factor holds, so none of them (password, social sign-in, the admin's login form) bypasses it.

The devices are django-otp's: a TOTPDevice (30-second steps, 6 digits, one step of tolerance either side,
`last_t` so that a code is accepted once and never one older than the last) and our RecoveryCodes (stored as
digests). A user has two-factor on once a TOTP device is confirmed. Wrong codes are throttled three ways: the
device's own back-off (django-otp: 1, 2, 4... seconds after successive failures), a count per account and a
count per address in TWO_FACTOR_FAILURE_WINDOW; each device is verified under a row lock, so the same code sent
twice at once is accepted once.
"""
import secrets
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from commerce.accounts import throttle
from commerce.accounts.models import RecoveryCode, RecoveryCodes, User
from commerce.accounts.proof import confirm_identity
from commerce.errors import DomainError

TOTP_DIGITS = 6


class TwoFactorError(DomainError):
    code = "INVALID_CREDENTIALS"


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def must_set_up(user: User) -> bool:
    """Staff with no second factor while STAFF_TWO_FACTOR_REQUIRED: they may only set it up."""
    return user.is_staff and settings.STAFF_TWO_FACTOR_REQUIRED and not has_two_factor(user)


def check_second_factor(user: User, otp: str | None, *, field: list[str] | None = None,
                        address: str | None = None) -> Device | None:
    """Raise OTP_REQUIRED (no code given) or INVALID_CREDENTIALS (a wrong or used code) for a user with two-factor
    on; OTP_REQUIRED also for staff who must set it up first (STAFF_TWO_FACTOR_REQUIRED), since a password alone
    must not sign them in. Returns the device that took the code (None for a user without two-factor).

    Call it outside any transaction the error would roll back: a wrong code's count on the device (django-otp's
    back-off) is written before the error is raised.
    """
    field = field or ["otp"]
    if not has_two_factor(user):
        if must_set_up(user):
            raise TwoFactorError(
                "Staff accounts need two-factor sign-in: sign in to the admin (/admin/) once to set it up.",
                code="OTP_REQUIRED", field=field)
        return None
    if not otp or not otp.strip():
        raise TwoFactorError("Enter the 6-digit code from your authenticator app, or a recovery code.",
                             code="OTP_REQUIRED", field=field)
    return verify_code(user, otp, field=field, address=address)


def verify_code(user: User, code: str, *, field: list[str], address: str | None = None,
                confirmed: bool = True) -> Device:
    """The device of the user's (a confirmed one, or the pending set-up's) that takes `code`: a 6-digit TOTP code
    or a recovery code. Raises THROTTLED or INVALID_CREDENTIALS; a failure is recorded either way."""
    _count_attempt(user, address, field)
    code = "".join(code.split())  # apps show the code as "123 456"
    with transaction.atomic():  # returns, never raises, after verify_token: its throttle count must commit
        device = _device_for(user, code, confirmed=confirmed)
        if device is not None:
            if not device.verify_is_allowed()[0]:
                raise TwoFactorError("Too many wrong codes: wait a few seconds and try again.", code="THROTTLED",
                                     field=field)
            if not device.verify_token(code):
                device = None
    if device is None:
        raise TwoFactorError("The code is not correct, or it was already used.", field=field)
    throttle.forget("otp", str(user.pk))
    if address:
        throttle.give_back("otp-ip", address)
    return device


def _device_for(user: User, code: str, *, confirmed: bool) -> Device | None:
    if code.isdigit() and len(code) == TOTP_DIGITS:
        devices = TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk")
    elif confirmed:
        devices = RecoveryCodes.objects.filter(user=user, confirmed=True)
    else:
        return None
    return devices.select_for_update().first()


def _count_attempt(user: User, address: str | None, field: list[str]) -> None:
    """Count a code tried, before it is judged (throttle.count); right codes are uncounted afterwards."""
    window = settings.TWO_FACTOR_FAILURE_WINDOW
    minutes = int(window.total_seconds() // 60)
    if throttle.count("otp", str(user.pk), window) > settings.TWO_FACTOR_MAX_FAILURES:
        raise TwoFactorError(f"Too many wrong codes for this account. Try again in up to {minutes} minutes.",
                             code="THROTTLED", field=field)
    if address and throttle.count("otp-ip", address, window) > settings.TWO_FACTOR_MAX_FAILURES_PER_IP:
        raise TwoFactorError(f"Too many wrong codes from this address. Try again in up to {minutes} minutes.",
                             code="THROTTLED", field=field)


# --- Turning it on and off


def start_setup(user: User, *, password: str | None = None, id_token: str | None = None,
                address: str | None = None) -> TOTPDevice:
    """A new secret, unconfirmed until `confirm_setup` gets a code from it (so a scan that failed changes
    nothing). Needs proof of a fresh sign-in; refused while two-factor is on (turn it off first, with a code)."""
    confirm_identity(user, password=password, id_token=id_token, address=address)
    return pending_device(user, new=True)


@transaction.atomic
def pending_device(user: User, *, new: bool = False) -> TOTPDevice:
    """The device being set up: the one pending (the admin's set-up page, reloaded, shows the same QR code), or
    a new one in place of any pending."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one set-up at a time per user
    if has_two_factor(user):
        raise TwoFactorError("Two-factor sign-in is already on: turn it off first to move it to another device.",
                             code="ALREADY_EXISTS")
    pending = TOTPDevice.objects.filter(user=user, confirmed=False)
    if not new and (device := pending.order_by("-pk").first()) is not None:
        return device
    pending.delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code, for an authenticator app to scan."""
    return qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")


def secret_of(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in (base32), for a phone that cannot scan."""
    return b32encode(device.bin_key).decode()


def confirm_setup(user: User, code: str, *, address: str | None = None) -> tuple[TOTPDevice, list[str]]:
    """Turn two-factor on with the first code from the pending device; returns the recovery codes, which are
    shown this once (only their digests are kept)."""
    if not TOTPDevice.objects.filter(user=user, confirmed=False).exists():
        raise TwoFactorError("Nothing is being set up: start with twoFactorSetup.", code="NOT_FOUND", field=["code"])
    device = verify_code(user, code, field=["code"], address=address, confirmed=False)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if has_two_factor(user):  # another set-up finished first
            raise TwoFactorError("Two-factor sign-in is already on.", code="ALREADY_EXISTS", field=["code"])
        TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        return device, _new_recovery_codes(user)


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCodes.objects.filter(user=user).delete()
    device = RecoveryCodes.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [_recovery_code() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(RecoveryCode(device=device, digest=RecoveryCodes.digest(code)) for code in codes)
    return codes


def _recovery_code() -> str:
    """80 random bits as 16 letters and digits in groups of four: xxxx-xxxx-xxxx-xxxx."""
    raw = b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def disable(user: User, code: str, *, password: str | None = None, id_token: str | None = None,
            address: str | None = None) -> User:
    """Turn two-factor off: a fresh sign-in's proof and a current code (or a recovery code) both, so neither a
    stolen session nor a stolen password alone can remove it."""
    confirm_identity(user, password=password, id_token=id_token, address=address)
    if not has_two_factor(user):
        raise TwoFactorError("Two-factor sign-in is not on.", code="NOT_FOUND", field=["code"])
    verify_code(user, code, field=["code"], address=address)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCodes.objects.filter(user=user).delete()
    return user
