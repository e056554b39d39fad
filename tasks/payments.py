"""Applying payment providers' events, and refunding money that arrived for an order that cannot take it."""
from django.dispatch import receiver
from dramatiq_crontab import cron

from commerce.payments import services
from commerce.payments.signals import stray_payment, webhook_received
from tasks.jobs import job


@job
def process_payment_event(event_pk: int) -> None:
    services.process_event(event_pk)


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
