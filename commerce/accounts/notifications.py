"""The emails an account receives. Jobs call these by id; each is sent at most once per key."""
from django.conf import settings

from commerce.accounts.models import User
from commerce.accounts.services import find_reset_recipient, make_password_reset_link
from commerce.notifications.emails import already_sent, send_once


def send_welcome(user_id: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        send_once(f"welcome:{user.pk}", "welcome", user.email, {"user": user})


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
