"""Failed sign-ins per email address, counted in the cache (Redis in production, local memory embedded).

A fixed window opens with the first failure; once it holds SIGN_IN_MAX_FAILURES, every attempt for that email
is refused until the window closes, whatever the password, so guessing stops being worth it. Unknown emails
are counted the same way, so the throttle does not reveal which accounts exist.
"""
import hashlib

from django.conf import settings
from django.core.cache import cache

from commerce.errors import DomainError


def _key(email: str) -> str:
    return "sign-in-failures:" + hashlib.sha256(email.encode()).hexdigest()


def check(email: str) -> None:
    if (cache.get(_key(email)) or 0) >= settings.SIGN_IN_MAX_FAILURES:
        minutes = int(settings.SIGN_IN_FAILURE_WINDOW.total_seconds() // 60)
        raise DomainError(
            f"Too many failed sign-ins for this email. Try again in up to {minutes} minutes.",
            code="THROTTLED",
            field=["email"],
        )


def record_failure(email: str) -> None:
    key = _key(email)
    cache.add(key, 0, timeout=settings.SIGN_IN_FAILURE_WINDOW.total_seconds())
    try:
        cache.incr(key)
    except ValueError:  # the window closed between add and incr: this failure opens the next one
        cache.set(key, 1, timeout=settings.SIGN_IN_FAILURE_WINDOW.total_seconds())


def forget(email: str) -> None:
    cache.delete(_key(email))
