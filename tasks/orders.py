"""Order emails, expiring unpaid orders, the daily sales report, and housekeeping of carts and idempotency keys."""
from datetime import date, timedelta

from django.dispatch import receiver
from django.utils import timezone
from dramatiq_crontab import cron

from commerce.carts.services import purge_abandoned_carts
from commerce.orders import erasure, idempotency, notifications, reports, services
from commerce.orders.signals import order_changed, order_placed
from commerce.payments import services as payments
from tasks.jobs import job


@job
def send_order_confirmation(order_id: int) -> None:
    notifications.send_confirmation(order_id)


@job
def send_order_status_email(event_id: int) -> None:
    notifications.send_status_update(event_id)


@job
def expire_unpaid_order(order_id: int) -> None:
    payments.expire_unpaid(order_id)


@cron("* * * * *")
@job
def expire_unpaid_orders() -> None:
    """Every minute: one job per order past its time, so each is retried on its own."""
    for order_id in services.unpaid_orders_due_for_expiry():
        expire_unpaid_order.send(order_id)


@cron("43 3 * * *")
@job
def purge_stale_carts_and_keys() -> None:
    purge_abandoned_carts()
    idempotency.purge_expired_keys()


@cron("31 4 * * *")
@job
def erase_order_personal_data() -> None:
    """Every night: the email and addresses of deleted accounts' orders past ORDER_PERSONAL_DATA_RETENTION_DAYS."""
    erasure.erase_past_retention()


@job
def send_sales_report(day: str) -> None:
    """`day` (ISO) travels in the message, so a retry after midnight still reports the day it was meant for."""
    reports.send_daily_report(date.fromisoformat(day))


@cron("10 0 * * *")
@job
def send_yesterdays_sales_report() -> None:
    """Every night just after midnight (settings.TIME_ZONE): yesterday's figures to every staff member."""
    send_sales_report.send((timezone.localdate() - timedelta(days=1)).isoformat())


@receiver(order_placed)
def _confirm(sender, order_id: int, **kwargs) -> None:
    send_order_confirmation.send(order_id)


@receiver(order_changed)
def _status_email(sender, order_id: int, event_id: int, **kwargs) -> None:
    send_order_status_email.send(event_id)
