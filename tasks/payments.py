"""Applying payment providers' events, polling payments whose provider must be asked (MTN MoMo), and refunding
money that arrived for an order that cannot take it."""
from django.conf import settings
from django.dispatch import receiver
from dramatiq_crontab import cron

from commerce.payments import services
from commerce.payments.signals import payment_polling, stray_payment, webhook_received
from tasks.jobs import MAX_BACKOFF_MS, job


@job
def process_payment_event(event_pk: int) -> None:
    services.process_event(event_pk)


@job
def poll_payment(payment_id: int, attempt: int = 0) -> None:
    """Read the payment from its provider; until its status is final, again later, each wait twice the last (from
    PAYMENT_POLL_FIRST_DELAY_SECONDS, at most 10 minutes), PAYMENT_POLL_ATTEMPTS times in all. A callback from the
    provider does not end this: it only wakes a read sooner (its event is re-read, never trusted)."""
    if not services.poll_payment(payment_id) and attempt + 1 < settings.PAYMENT_POLL_ATTEMPTS:
        _poll_later(payment_id, attempt + 1)


def _poll_later(payment_id: int, attempt: int) -> None:
    delay_ms = min(settings.PAYMENT_POLL_FIRST_DELAY_SECONDS * 1000 * 2 ** attempt, MAX_BACKOFF_MS)
    poll_payment.send_with_options(args=(payment_id, attempt), delay=delay_ms)


@job
def refund_stray_payment(payment_id: int) -> None:
    services.refund_stray(payment_id)


@cron("*/5 * * * *")
@job
def sweep_unprocessed_payment_events() -> None:
    """Events recorded but never applied (the broker was down when they came, a job ran out of retries)."""
    for event_pk in services.unprocessed_events():
        process_payment_event.send(event_pk)


@receiver(webhook_received)
def _process(sender, event_pk: int, **kwargs) -> None:
    process_payment_event.send(event_pk)


@receiver(stray_payment)
def _refund(sender, payment_id: int, **kwargs) -> None:
    refund_stray_payment.send(payment_id)


@receiver(payment_polling)
def _poll(sender, payment_id: int, attempt: int = 0, **kwargs) -> None:
    _poll_later(payment_id, attempt)
