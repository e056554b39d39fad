"""The emails an account receives. Jobs call these by id; each is sent at most once per key.

Links carry tokens made by the job itself, when it sends, so a token never waits in a queue or a log; a job run
again after its email went out makes none (already_sent is checked first)."""
from django.conf import settings

from commerce.accounts import verification
from commerce.accounts.models import User
from commerce.accounts.services import find_reset_recipient, make_password_reset_link
from commerce.notifications.emails import already_sent, send_once


def _hours(lifetime) -> int:
    return max(1, int(lifetime.total_seconds() // 3600))


def _confirmation(user: User) -> dict:
    link = verification.make_confirmation_link(user)
    return {"confirm_url": link.url, "valid_hours": _hours(settings.EMAIL_VERIFICATION_TOKEN_LIFETIME)}


def send_welcome(user_id: int) -> None:
    """The welcome email; for an account whose email is not verified yet it carries the verification link, so a
    new customer gets one email, not two."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    key = f"welcome:{user and user.pk}"
    if user is None or already_sent(key):
        return
    context = {"user": user}
    if not user.is_email_verified:
        context.update(_confirmation(user))
    send_once(key, "welcome", user.email, context)


def send_email_confirmation(email: str, request_id: str) -> None:
    """A new verification link, asked for with accountResendConfirmation; nothing for an email without an
    unverified account."""
    user = verification.find_unverified(email)
    key = f"confirm-email:{user and user.pk}:{request_id}"
    if user is None or already_sent(key):
        return
    send_once(key, "confirm_email", user.email, {"user": user, **_confirmation(user)})


def send_email_change(user_id: int, new_email: str, request_id: str) -> None:
    """The link to the new address (or, if an account has it already, a note saying nothing changed: the request
    never told the requester whether it had), and a notice to the address the account has now."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email == new_email:  # gone, or moved there already
        return
    key = f"email-change:{user.pk}:{request_id}"
    if not already_sent(key):
        if verification.is_taken(new_email, by_other_than=user):
            send_once(key, "email_change_taken", new_email, {"new_email": new_email})
        else:
            link = verification.make_email_change_link(user, new_email)
            send_once(key, "email_change", new_email, {
                "user": user, "new_email": new_email, "confirm_url": link.url,
                "valid_hours": _hours(settings.EMAIL_CHANGE_TOKEN_LIFETIME),
            })
    send_once(f"email-change-notice:{user.pk}:{request_id}", "email_change_notice", user.email,
              {"user": user, "new_email": new_email})


def send_password_reset(email: str, request_id: str) -> None:
    """One email per request, to an active account only: the link carries a token made now, so it never waits
    in a queue or a log. For an email without an account nothing is sent."""
    user = find_reset_recipient(email)
    key = f"password-reset:{user and user.pk}:{request_id}"
    if user is None or already_sent(key):
        return
    link = make_password_reset_link(user)
    minutes = int(settings.PASSWORD_RESET_TOKEN_LIFETIME.total_seconds() // 60)
    send_once(
        key,
        "password_reset",
        user.email,
        {"user": user, "reset_url": link.url, "valid_minutes": minutes},
    )
