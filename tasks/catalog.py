"""Catalog emails: staff hear when a variant runs low."""
import uuid

from django.dispatch import receiver

from commerce.catalog import notifications
from commerce.catalog.stock import stock_low
from tasks.jobs import job


@job
def send_low_stock_alert(variant_id: int, stock: int, alert_id: str) -> None:
    notifications.send_low_stock_alert(variant_id, stock, alert_id)


@receiver(stock_low)
def _low_stock(sender, variant_id: int, stock: int, **kwargs) -> None:
    send_low_stock_alert.send(variant_id, stock, uuid.uuid4().hex)
