"""`Idempotency-Key`: a retried request gets the first one's answer and creates nothing twice.

The key is claimed by inserting its row in a transaction of its own, committed before the work starts, so a
second request with the key (a phone retrying a request it never saw answered) finds it even while the first
is still running, and waits for that answer. The same key for another cart is IDEMPOTENCY_CONFLICT. A request
that fails unexpectedly gives its key up, so a retry runs afresh; a coded failure is an answer, and replays.
"""
import hashlib
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from commerce.errors import DomainError, DomainErrors
from commerce.orders.models import IdempotencyKey, Order

WAIT_FOR_FIRST = timedelta(seconds=15)  # how long a retry waits for the first request's answer
ABANDONED_AFTER = timedelta(minutes=2)  # a claim never finished this long after it was made (its process died)


class IdempotencyError(DomainError):
    code = "IDEMPOTENCY_CONFLICT"


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def once(operation: str, key: str | None, subject: str, action: Callable[[], Order]) -> Order:
    """Run `action` for `subject` (what the key is used for) at most once per key; without a key, just run it."""
    if key is None:
        return action()
    if not 1 <= len(key) <= 255:
        raise IdempotencyError("An Idempotency-Key has 1 to 255 characters.", code="INVALID", field=["Idempotency-Key"])
    print_ = fingerprint(subject)
    deadline = time.monotonic() + WAIT_FOR_FIRST.total_seconds()
    while True:
        claim, mine = _claim(operation, key, print_)
        if mine:
            return _run(claim, action)
        if claim.fingerprint != print_:
            raise IdempotencyError("This Idempotency-Key was already used for another request.", field=["Idempotency-Key"])
        if claim.finished_at is not None:
            return _replay(claim)
        if claim.created_at < timezone.now() - ABANDONED_AFTER:
            IdempotencyKey.objects.filter(pk=claim.pk, finished_at__isnull=True).delete()
        elif time.monotonic() > deadline:
            raise IdempotencyError("The first request with this Idempotency-Key is still running; retry shortly.",
                                   code="IDEMPOTENCY_IN_PROGRESS", field=["Idempotency-Key"])
        else:
            time.sleep(0.05)


def _claim(operation: str, key: str, print_: str) -> tuple[IdempotencyKey, bool]:
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(operation=operation, key=key, fingerprint=print_), True
    except IntegrityError:
        claim = IdempotencyKey.objects.filter(operation=operation, key=key).first()
        return (claim, False) if claim else _claim(operation, key, print_)


def _run(claim: IdempotencyKey, action: Callable[[], Order]) -> Order:
    try:
        order = action()
    except DomainError as refused:
        claim.errors = [{"message": e.message, "code": e.code, "field": e.field} for e in refused.errors]
        claim.finished_at = timezone.now()
        claim.save(update_fields=["errors", "finished_at"])
        raise
    except BaseException:
        claim.delete()
        raise
    claim.order = order
    claim.finished_at = timezone.now()
    claim.save(update_fields=["order", "finished_at"])
    return order


def _replay(claim: IdempotencyKey) -> Order:
    if claim.errors:
        raise DomainErrors(DomainError(e["message"], code=e["code"], field=e["field"]) for e in claim.errors)
    return claim.order


def purge_expired_keys() -> int:
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - settings.IDEMPOTENCY_KEY_LIFETIME).delete()
    return deleted
