"""`Idempotency-Key`: a retried request gets the first one's answer and creates nothing twice.

Keys belong to a caller (a user, or guests as one caller): another user's identical key is another key, and a
replay never hands an answer to someone who did not ask the first time. The key is claimed by inserting its
row in a durable transaction of its own, committed before the work starts, so a second request with the key (a
phone retrying a request it never saw answered) finds it even while the first is still running, and waits for
that answer. The answer is recorded in the same transaction as the work, so there is never an order without
its key's answer. The same key for another cart is IDEMPOTENCY_CONFLICT. A request that fails unexpectedly
gives its key up, so a retry runs afresh; a coded refusal is an answer, and replays (the client never saw it).
"""
import hashlib
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from commerce.errors import DomainError, DomainErrors
from commerce.permissions import is_signed_in
from commerce.orders.models import IdempotencyKey, Order




class IdempotencyError(DomainError):
    code = "IDEMPOTENCY_CONFLICT"


def caller_of(user) -> str:
    return f"user:{user.pk}" if is_signed_in(user) else "guest"


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def once(operation: str, key: str | None, subject: str, action: Callable[[], Order], *, caller: str) -> Order:
    """Run `action` for `subject` (what the key is used for) at most once per `caller` and key; without a key,
    just run it. `caller` is "user:<id>" or "guest"."""
    if key is None:
        return action()
    if not 1 <= len(key) <= 255:
        raise IdempotencyError("An Idempotency-Key has 1 to 255 characters.", code="INVALID", field=["Idempotency-Key"])
    print_ = fingerprint(subject)
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT.total_seconds()
    while True:
        claim, mine = _claim(operation, caller, key, print_)
        if mine:
            return _run(claim, action)
        if claim.fingerprint != print_:
            raise IdempotencyError("This Idempotency-Key was already used for another request.", field=["Idempotency-Key"])
        if claim.finished_at is not None:
            return _replay(claim)
        if claim.created_at < timezone.now() - settings.IDEMPOTENCY_ABANDONED_AFTER:
            IdempotencyKey.objects.filter(pk=claim.pk, finished_at__isnull=True).delete()
        elif time.monotonic() > deadline:
            raise IdempotencyError("The first request with this Idempotency-Key is still running; retry shortly.",
                                   code="IDEMPOTENCY_IN_PROGRESS", field=["Idempotency-Key"])
        else:
            time.sleep(0.05)


def _claim(operation: str, caller: str, key: str, print_: str) -> tuple[IdempotencyKey, bool]:
    """Insert the key, committed at once (durable: inside another transaction it would not be visible to the
    retry it exists for, so that is refused), or find the row another request inserted."""
    try:
        with transaction.atomic(durable=True):
            return IdempotencyKey.objects.create(operation=operation, caller=caller, key=key, fingerprint=print_), True
    except IntegrityError:
        claim = IdempotencyKey.objects.filter(operation=operation, caller=caller, key=key).first()
        return (claim, False) if claim else _claim(operation, caller, key, print_)


def _run(claim: IdempotencyKey, action: Callable[[], Order]) -> Order:
    try:
        with transaction.atomic():
            order = action()
            if not _finish(claim, order=order):  # our claim was taken over as abandoned: undo, answer nothing
                raise IdempotencyError("This request took too long and was retried; see the retry's answer.",
                                       code="IDEMPOTENCY_IN_PROGRESS", field=["Idempotency-Key"])
    except IdempotencyError:
        raise
    except DomainError as refused:
        _finish(claim, errors=[{"message": e.message, "code": e.code, "field": e.field} for e in refused.errors])
        raise
    except BaseException:
        claim.delete()
        raise
    return order


def _finish(claim: IdempotencyKey, **answer) -> bool:
    return bool(IdempotencyKey.objects.filter(pk=claim.pk, finished_at__isnull=True)
                .update(finished_at=timezone.now(), **answer))


def _replay(claim: IdempotencyKey) -> Order:
    if claim.errors:
        raise DomainErrors(DomainError(e["message"], code=e["code"], field=e["field"]) for e in claim.errors)
    return claim.order


def purge_expired_keys() -> int:
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - settings.IDEMPOTENCY_KEY_LIFETIME).delete()
    return deleted
