"""Endpoints staff manage, deliveries recorded and attempted, and an endpoint turned off when it keeps failing.

Retries are ours, not Dramatiq's: a failed attempt stores when the next is due (exponential backoff from
WEBHOOK_RETRY_FIRST_DELAY_SECONDS, at most WEBHOOK_RETRY_MAX_DELAY_SECONDS apart) and the job is enqueued again
with that delay, until `retry_until` (WEBHOOK_RETRY_FOR_SECONDS after the event) has passed. A day of retries is
longer than a broker should be trusted to hold a delayed message, so the stored time is the truth and a minute
job sends what is overdue. An attempt first claims its delivery (a conditional UPDATE pushing `next_attempt_at`
past the attempt's deadline), so two jobs never send the same delivery at once.
"""
import logging
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from commerce import audit, signing
from commerce.accounts.throttle import count
from commerce.errors import DomainError, NotFound, Throttled
from commerce.events import announce
from commerce.webhooks import addresses, client, payloads
from commerce.webhooks.models import Attempt, Delivery, DeliveryStatus, Webhook, WebhookEvent
from commerce.webhooks.signals import deliveries_due, webhook_disabled

logger = logging.getLogger("commerce.webhooks")
EXCERPT_CHARS = 1000
ID_HEADER = "Webhook-Id"  # the delivery's id: the same on every attempt, so a receiver can drop repeats
USER_AGENT = "commerce-webhooks/1"  # ASCII whatever SHOP_NAME is: a header is latin-1


class WebhookError(DomainError):
    pass


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _checked(changes: dict, *, creating: bool) -> dict:
    if creating:
        for name in ("url", "events"):
            if changes.get(name) is None:
                raise WebhookError(f"{name} is required.", code="REQUIRED", field=["input", name])
    if "url" in changes:
        if changes["url"] is None or len(changes["url"]) > 500:
            raise WebhookError("Give a URL of at most 500 characters.", field=["input", "url"])
        try:
            addresses.check_url(changes["url"])
        except addresses.Refused as refusal:
            raise WebhookError(f"This URL cannot receive webhooks: {refusal}.", field=["input", "url"]) from None
    if "events" in changes:
        if not changes["events"]:
            raise WebhookError("Choose at least one event.", field=["input", "events"])
        changes["events"] = sorted(set(WebhookEvent(e).value for e in changes["events"]))
    if changes.get("is_active") is None:
        changes.pop("is_active", None)
    return changes


AUDITED = ["url", "events", "is_active"]  # never the secret: the log says it was rotated, not what it became


@transaction.atomic
def create_webhook(**changes) -> tuple[Webhook, str]:
    """The endpoint and its secret (shown to staff this once)."""
    webhook = Webhook.objects.create(**_checked(changes, creating=True), secret=new_secret())
    audit.record(audit.CREATE, webhook, audit.diff({}, audit.snapshot(webhook, AUDITED)))
    return webhook, webhook.secret


@transaction.atomic
def update_webhook(webhook_id: int, changes: dict) -> Webhook:
    webhook = _get(webhook_id, lock=True)
    before = audit.snapshot(webhook, AUDITED)
    for name, value in _checked(changes, creating=False).items():
        setattr(webhook, name, value)
    if changes.get("is_active"):  # turned back on by staff: its failures start counting afresh
        webhook.failing_since = webhook.disabled_at = None
    webhook.save()
    audit.record(audit.UPDATE, webhook, audit.diff(before, audit.snapshot(webhook, AUDITED)))
    return webhook


@transaction.atomic
def delete_webhook(webhook_id: int) -> Webhook:
    webhook = _get(webhook_id, lock=True)
    audit.record(audit.DELETE, webhook, {k: [v, None] for k, v in audit.snapshot(webhook, AUDITED).items()})
    webhook.delete()
    webhook.pk = webhook_id  # the payload still names what was deleted
    return webhook


@transaction.atomic
def rotate_secret(webhook_id: int) -> tuple[Webhook, str]:
    """A new secret; the old one keeps signing beside it for WEBHOOK_SECRET_OVERLAP_SECONDS, time for the receiver
    to switch. Rotating again within the overlap drops the oldest."""
    webhook = _get(webhook_id, lock=True)
    webhook.previous_secret, webhook.secret = webhook.secret, new_secret()
    webhook.previous_secret_until = timezone.now() + timedelta(seconds=settings.WEBHOOK_SECRET_OVERLAP_SECONDS)
    webhook.save(update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"])
    audit.record(audit.UPDATE, webhook, {"secret": ["(rotated)", "(rotated)"]})
    return webhook, webhook.secret


def redeliver(delivery_id: int, *, actor) -> Delivery:
    """Send a delivery again now (same id and body), retried as a new one would be if it fails."""
    if count("webhook-redeliver", str(actor.pk), timedelta(minutes=1)) > settings.WEBHOOK_REDELIVER_MAX_PER_MINUTE:
        raise Throttled("Too many redeliveries; wait a minute.", retry_after=60, field=["deliveryId"])
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("webhook").filter(pk=delivery_id).first()
        if delivery is None:
            raise NotFound("No such delivery.", field=["deliveryId"])
        if not delivery.webhook.is_active:
            raise WebhookError("Its endpoint is turned off; turn it on first.", field=["deliveryId"])
        delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, timezone.now()
        delivery.retry_until = Delivery.default_retry_until()
        delivery.save(update_fields=["status", "next_attempt_at", "retry_until"])
        announce(deliveries_due, delivery_ids=[delivery.pk])
    return delivery


def _get(webhook_id: int, *, lock: bool = False) -> Webhook:
    found = Webhook.objects.select_for_update() if lock else Webhook.objects
    webhook = found.filter(pk=webhook_id).first()
    if webhook is None:
        raise NotFound("No such webhook.", field=["id"])
    return webhook


def record(events: list[tuple[str, str, int]]) -> list[int]:
    """One delivery per event per active endpoint subscribed to it (called after the change committed)."""
    if not events:
        return []
    hooks = list(Webhook.objects.filter(is_active=True).values_list("pk", "events"))
    retry_until = Delivery.default_retry_until()
    deliveries = [Delivery(webhook_id=pk, event=event, subject=subject, subject_id=subject_id, retry_until=retry_until)
                  for event, subject, subject_id in events for pk, subscribed in hooks if event in subscribed]
    if not deliveries:
        return []
    ids = [d.pk for d in Delivery.objects.bulk_create(deliveries)]
    announce(deliveries_due, delivery_ids=ids)
    return ids


def overdue(limit: int = 500) -> list[int]:
    """Deliveries whose attempt is due and was never sent (a message lost with the broker, a worker killed)."""
    return list(Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def attempt(delivery_id: int) -> float | None:
    """One attempt if the delivery is due: seconds until the next one when it failed and retries remain, else None."""
    if not _claim(delivery_id):
        return None
    delivery = Delivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    if not webhook.is_active:
        _finish(delivery, DeliveryStatus.FAILED)
        return None
    if delivery.body is None:
        delivery.body = payloads.render(delivery)
        Delivery.objects.filter(pk=delivery.pk).update(body=delivery.body)
    delivery.body = bytes(delivery.body)  # PostgreSQL hands a BinaryField back as a memoryview
    log = _send(webhook, delivery)
    delivery.attempts += 1
    delivery.response_status = log.response_status
    now = timezone.now()
    if log.succeeded:
        Webhook.objects.filter(pk=webhook.pk, failing_since__isnull=False).update(failing_since=None)
        _finish(delivery, DeliveryStatus.SUCCEEDED)
        return None
    if _failed(webhook, now):  # turned off: nothing more is sent to it
        _finish(delivery, DeliveryStatus.FAILED)
        return None
    delay = min(settings.WEBHOOK_RETRY_FIRST_DELAY_SECONDS * 2 ** (delivery.attempts - 1),
                settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS)
    if now + timedelta(seconds=delay) > delivery.retry_until:
        _finish(delivery, DeliveryStatus.FAILED)
        return None
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    _finish(delivery, DeliveryStatus.PENDING)
    return delay


def _claim(delivery_id: int) -> bool:
    """Take the delivery for one attempt: due and pending, and held until the attempt's deadline has passed."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS + 30)
    due = now + timedelta(seconds=1)  # a delayed message may arrive a moment early
    return bool(Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=due)
                .update(next_attempt_at=lease))


def _finish(delivery: Delivery, status: str) -> None:
    delivery.status = status
    Delivery.objects.filter(pk=delivery.pk).update(status=status, attempts=delivery.attempts,
                                                   response_status=delivery.response_status,
                                                   next_attempt_at=delivery.next_attempt_at)


def _send(webhook: Webhook, delivery: Delivery) -> Attempt:
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               ID_HEADER: str(delivery.pk), "Webhook-Event": delivery.event,
               signing.HEADER: signing.sign(delivery.body, webhook.signing_secrets())}
    log = Attempt(delivery=delivery, started_at=timezone.now())
    started = time.monotonic()
    try:
        answer = client.post(webhook.url, delivery.body, headers)
    except (client.Refused, client.SendFailed) as error:
        log.error = f"{'refused' if isinstance(error, client.Refused) else 'failed'}: {error}"[:300]
    else:
        log.response_status = answer.status
        log.response_excerpt = answer.body.decode("utf-8", "replace")[:EXCERPT_CHARS]
        log.succeeded = 200 <= answer.status < 300
    log.duration_ms = round((time.monotonic() - started) * 1000)
    log.save()
    logger.info("Webhook delivery %s to endpoint %s: %s", delivery.pk, webhook.pk,
                log.response_status or log.error)
    return log


def _failed(webhook: Webhook, now) -> bool:
    """Note the failure; an endpoint failing for WEBHOOK_DISABLE_AFTER_SECONDS without a success is turned off
    (True then)."""
    Webhook.objects.filter(pk=webhook.pk, failing_since__isnull=True).update(failing_since=now)
    since = now - timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER_SECONDS)
    if not Webhook.objects.filter(pk=webhook.pk, is_active=True, failing_since__lte=since).update(
            is_active=False, disabled_at=now, updated_at=now):
        return False
    logger.warning("Webhook endpoint %s turned off after failing since %s", webhook.pk, webhook.failing_since)
    announce(webhook_disabled, webhook_id=webhook.pk)
    return True
