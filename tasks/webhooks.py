"""Webhook deliveries: one job per attempt, re-enqueued with its backoff delay; a minute job for overdue ones.

Retries of a failed delivery are scheduled by commerce.webhooks.services (stored `next_attempt_at`, the message
sent again with that delay), not by Dramatiq's own retries, which stay for crashes of the job itself.
"""
from django.dispatch import receiver
from dramatiq_crontab import cron

from commerce.webhooks import notifications, services
from commerce.webhooks.signals import deliveries_due, webhook_disabled
from tasks.jobs import job


@job(time_limit=60_000)
def deliver_webhook(delivery_id: int) -> None:
    delay = services.attempt(delivery_id)
    if delay is not None:
        deliver_webhook.send_with_options(args=(delivery_id,), delay=int(delay * 1000))


@cron("* * * * *")
@job
def send_overdue_webhooks() -> None:
    """Every minute: deliveries due whose message never came (lost with the broker); a claim makes a duplicate
    harmless."""
    for delivery_id in services.overdue():
        deliver_webhook.send(delivery_id)


@job
def send_webhook_disabled_notice(webhook_id: int) -> None:
    notifications.send_disabled_notice(webhook_id)


@receiver(deliveries_due)
def _deliver(sender, delivery_ids: list[int], **kwargs) -> None:
    for delivery_id in delivery_ids:
        deliver_webhook.send(delivery_id)


@receiver(webhook_disabled)
def _tell_staff(sender, webhook_id: int, **kwargs) -> None:
    send_webhook_disabled_notice.send(webhook_id)
