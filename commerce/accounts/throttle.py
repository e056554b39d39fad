"""Counters of attempts in a time window, in the cache (Redis in production, local memory embedded).

An attempt is counted before it is judged (one atomic increment), so parallel requests cannot all slip under
the limit by reading the count together. A window opens with the first attempt and closes after its length.
"""
import hashlib
import ipaddress
import math
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache

from commerce.accounts.models import normalize_email
from commerce.errors import Throttled


def _count_key(scope: str, subject: str) -> str:
    return f"attempts:{scope}:" + hashlib.sha256(subject.encode()).hexdigest()


def count(scope: str, subject: str, window: timedelta) -> int:
    """Count one attempt at `scope` for `subject` (an email, a user id) and return the window's total so far."""
    key = _count_key(scope, subject)
    cache.add(key, 0, timeout=window.total_seconds())
    try:
        return cache.incr(key)
    except ValueError:  # the window closed between add and incr: this attempt opens the next one
        cache.set(key, 1, timeout=window.total_seconds())
        return 1


def _uncount(scope: str, subject: str) -> None:
    try:
        cache.decr(_count_key(scope, subject))
    except ValueError:  # the window closed meanwhile
        pass


def forget(scope: str, subject: str) -> None:
    cache.delete(_count_key(scope, subject))


# --- Password checks: per (email, address), and per address


def client_address(remote_addr: str | None, forwarded_for: str | None) -> str:
    """The caller's address: the peer, or the entry TRUSTED_PROXY_HOPS from the end of X-Forwarded-For.

    A chain shorter than the trusted hops did not come through all of them, so the header is the caller's own
    writing; the peer that connected is then the one address known. The API (graph.core.context) and the
    admin's login (commerce.accounts.forms) both ask this, so both count against the same address.
    """
    hops = settings.TRUSTED_PROXY_HOPS
    if hops <= 0 or not forwarded_for:
        return remote_addr or "unknown"
    chain = [address.strip() for address in forwarded_for.split(",") if address.strip()]
    return chain[-hops] if len(chain) >= hops else remote_addr or "unknown"


def network(address: str | None) -> str:
    """Whom a password check comes from: the IP address, an IPv6 one by its /64 (which one host usually owns
    whole, as graph.transport.buckets keys its buckets)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _subject(email: str, address: str | None) -> str:
    return f"{email}|{network(address)}"


def _wait_key(scope: str, subject: str) -> str:
    return f"attempts:{scope}-wait:" + hashlib.sha256(subject.encode()).hexdigest()


def _waiting(key: str) -> int:
    """Whole seconds left of a wait set at `key`; 0 when there is none."""
    until = cache.get(key)
    return max(0, math.ceil(until - time.time())) if until else 0


def _backoff(attempt: int) -> int:
    """The wait after the attempt numbered `attempt` fails, from the SIGN_IN_MAX_FAILURES-th on: it doubles with
    each failure, from SIGN_IN_BACKOFF_SECONDS, up to the failure window."""
    doublings = min(attempt - settings.SIGN_IN_MAX_FAILURES, 20)
    return min(settings.SIGN_IN_BACKOFF_SECONDS * 2**doublings, int(settings.SIGN_IN_FAILURE_WINDOW.total_seconds()))


def _refuse(seconds: int, field: list[str] | None) -> Throttled:
    return Throttled(f"Too many failed attempts. Try again in {seconds} seconds.", retry_after=seconds, field=field)


def password_attempt(email: str, address: str | None, *, field: list[str] | None) -> None:
    """Count a password check for `email` from `address` (a sign-in, the admin's login, the current password
    asked before a sensitive change), or refuse it with THROTTLED and the seconds to wait.

    Failures are counted per (email, address): a stranger guessing from elsewhere never locks the owner out
    from their usual address. The first SIGN_IN_MAX_FAILURES - 1 checks run freely; from then on one check
    at a time, each after a wait that doubles with every failure (answered with its seconds, never by
    sleeping: a sleeping request would hold one of the process's request slots). The check is counted before
    it is judged, and the wait claimed at once, so parallel guesses cannot all slip in before a failure is
    recorded. An address past SIGN_IN_MAX_FAILURES_PER_ADDRESS failures in the window, whatever the emails,
    is refused too, so one address cannot walk a list of accounts. Unknown emails are counted alike, so the
    throttle does not tell which accounts exist.
    """
    email, subject = normalize_email(email), _subject(email, address)
    wait = max(_waiting(_wait_key("password-address", network(address))), _waiting(_wait_key("password", subject)))
    if wait:
        raise _refuse(wait, field)
    attempt = count("password", subject, settings.SIGN_IN_FAILURE_WINDOW)
    if attempt >= settings.SIGN_IN_MAX_FAILURES:
        seconds = _backoff(attempt)
        if not cache.add(_wait_key("password", subject), time.time() + seconds, timeout=seconds):
            _uncount("password", subject)  # a parallel check holds this turn: this one is refused, not counted
            raise _refuse(max(1, _waiting(_wait_key("password", subject))), field)


def password_failed(email: str, address: str | None) -> None:
    """A wrong password: the window runs on from this failure, a check past the free ones waits its turn from
    now, and the address's count grows."""
    subject = _subject(normalize_email(email), address)
    window = int(settings.SIGN_IN_FAILURE_WINDOW.total_seconds())
    attempt = cache.get(_count_key("password", subject)) or 0
    cache.touch(_count_key("password", subject), window)
    if attempt >= settings.SIGN_IN_MAX_FAILURES:
        seconds = _backoff(attempt)
        cache.set(_wait_key("password", subject), time.time() + seconds, timeout=seconds)
    failures = count("password-address", network(address), settings.SIGN_IN_FAILURE_WINDOW)
    if failures >= settings.SIGN_IN_MAX_FAILURES_PER_ADDRESS:
        cache.set(_wait_key("password-address", network(address)), time.time() + window, timeout=window)


def password_succeeded(email: str, address: str | None) -> None:
    """The right password from this address starts its count again (the address's own count stays)."""
    subject = _subject(normalize_email(email), address)
    forget("password", subject)
    cache.delete(_wait_key("password", subject))


def give_back(scope: str, subject: str) -> None:
    """Uncount one attempt that turned out right, where the others in the window must still count (the wrong
    two-factor codes from an address that many people share)."""
    _uncount(scope, subject)
