"""Counters of attempts in a time window, in the cache (Redis in production, local memory embedded).

An attempt is counted before it is judged (one atomic increment), so parallel requests cannot all slip under
the limit by reading the count together. A window opens with the first attempt and closes after its length.
"""
import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache

from commerce.errors import DomainError


def count(scope: str, subject: str, window: timedelta) -> int:
    """Count one attempt at `scope` for `subject` (an email, a user id) and return the window's total so far."""
    key = f"attempts:{scope}:" + hashlib.sha256(subject.encode()).hexdigest()
    cache.add(key, 0, timeout=window.total_seconds())
    try:
        return cache.incr(key)
    except ValueError:  # the window closed between add and incr: this attempt opens the next one
        cache.set(key, 1, timeout=window.total_seconds())
        return 1


def forget(scope: str, subject: str) -> None:
    cache.delete(f"attempts:{scope}:" + hashlib.sha256(subject.encode()).hexdigest())


def password_attempt(email: str, *, field: list[str]) -> None:
    """Count a password check for an account (sign-in, or the current password in passwordChange).

    Past SIGN_IN_MAX_FAILURES in the window the check is refused whatever the password, so guessing stops
    being worth it; a correct password calls `password_succeeded`, which starts the count again. Unknown
    emails are counted alike, so the throttle does not tell which accounts exist.
    """
    if count("password", email, settings.SIGN_IN_FAILURE_WINDOW) > settings.SIGN_IN_MAX_FAILURES:
        minutes = int(settings.SIGN_IN_FAILURE_WINDOW.total_seconds() // 60)
        raise DomainError(
            f"Too many failed attempts for this account. Try again in up to {minutes} minutes.",
            code="THROTTLED",
            field=field,
        )


def password_succeeded(email: str) -> None:
    forget("password", email)


def give_back(scope: str, subject: str) -> None:
    """Uncount one attempt that turned out right, where the others in the window must still count (the wrong
    two-factor codes from an address that many people share)."""
    try:
        cache.decr(f"attempts:{scope}:" + hashlib.sha256(subject.encode()).hexdigest())
    except ValueError:  # the window has closed
        pass
