"""Catalog emails (staff hear when a variant runs low) and the minute job that starts and ends sales."""
import uuid

from django.dispatch import receiver
from dramatiq_crontab import cron

from commerce.catalog import notifications, sales
from commerce.catalog.stock import stock_low
from tasks.jobs import job


@job
def send_low_stock_alert(variant_id: int, stock: int, alert_id: str) -> None:
    notifications.send_low_stock_alert(variant_id, stock, alert_id)


@cron("* * * * *")
@job
def apply_scheduled_sales() -> None:
    """Every minute: the sales that started or ended since the last run reprice their products (idempotent)."""
    sales.apply_scheduled_sales()


@receiver(stock_low)
def _low_stock(sender, variant_id: int, stock: int, **kwargs) -> None:
    send_low_stock_alert.send(variant_id, stock, uuid.uuid4().hex)
