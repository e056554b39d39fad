"""What becomes a webhook event: order events, product writes and low stock, gathered per transaction.

An OrderEvent or a product saved inside a transaction is noted with that transaction (per savepoint, so a
savepoint rolled back takes its notes with it) and recorded as deliveries once it commits, in one query for the
subscribed endpoints and one insert. Nothing rolled back is delivered, and the write paths pay nothing until
the commit. Product writes are seen through Django's model signals, so the admin's edits count as the API's do;
bulk `.update()`s (a sale repricing, checkout taking stock) save no model and are not product updates.
"""
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from commerce.catalog.models import Product, ProductVariant
from commerce.catalog.stock import stock_low
from commerce.orders.models import OrderEvent, OrderEventType, OrderStatus
from commerce.webhooks import services
from commerce.webhooks.models import WebhookEvent as E

ORDER_EVENTS = {
    OrderEventType.PLACED: E.ORDER_CREATED,
    OrderEventType.PAYMENT_SUCCEEDED: E.ORDER_PAID,
    OrderEventType.FULFILLED: E.ORDER_FULFILLED,
    OrderEventType.DELIVERED: E.ORDER_DELIVERED,
    OrderEventType.CANCELLED: E.ORDER_CANCELLED,
    OrderEventType.EXPIRED: E.ORDER_CANCELLED,
    OrderEventType.REFUNDED: E.ORDER_REFUNDED,
}


def webhook_event_of(event: OrderEvent) -> tuple[str, str, int] | None:
    """(event, subject, subject id) for an order event integrations hear about, else None."""
    if event.type == OrderEventType.SHIPPED:  # the last shipment: the order has become FULFILLED
        became = event.status == OrderStatus.FULFILLED and event.previous_status != OrderStatus.FULFILLED
        return (E.ORDER_FULFILLED, "order", event.order_id) if became else None
    if event.type == OrderEventType.RETURN_REQUESTED:
        return E.RETURN_REQUESTED, "return_request", event.pk
    webhook_event = ORDER_EVENTS.get(event.type)
    return (webhook_event, "order", event.order_id) if webhook_event else None


class _Batch:
    """One savepoint's events, recorded as deliveries when the transaction commits."""

    def __init__(self):
        self.events: dict[tuple[str, int], list[str]] = {}

    def add(self, event: str, subject: str, subject_id: int) -> None:
        noted = self.events.setdefault((subject, subject_id), [])
        if event == E.PRODUCT_UPDATED and (E.PRODUCT_CREATED in noted or E.PRODUCT_DELETED in noted):
            return  # created or deleted in this transaction: that is the news
        if event == E.PRODUCT_DELETED:
            noted[:] = [e for e in noted if e != E.PRODUCT_UPDATED]
        if event not in noted:
            noted.append(event)

    def __call__(self):
        services.record([(event, subject, pk) for (subject, pk), events in self.events.items() for event in events])


def note(event: str, subject: str, subject_id: int) -> None:
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        here = set(connection.savepoint_ids)
        for savepoints, callback, _ in connection.run_on_commit:
            if isinstance(callback, _Batch) and savepoints == here:
                callback.add(event, subject, subject_id)
                return
    batch = _Batch()
    batch.add(event, subject, subject_id)
    transaction.on_commit(batch, robust=True)


@receiver(post_save, sender=OrderEvent, dispatch_uid="webhooks.order_event")
def _order_event(sender, instance: OrderEvent, created: bool, **kwargs) -> None:
    if created and (found := webhook_event_of(instance)):
        note(*found)


@receiver(post_save, sender=Product, dispatch_uid="webhooks.product_saved")
def _product_saved(sender, instance: Product, created: bool, raw: bool = False, **kwargs) -> None:
    if not raw:
        note(E.PRODUCT_CREATED if created else E.PRODUCT_UPDATED, "product", instance.pk)


@receiver(post_delete, sender=Product, dispatch_uid="webhooks.product_deleted")
def _product_deleted(sender, instance: Product, **kwargs) -> None:
    note(E.PRODUCT_DELETED, "product", instance.pk)


@receiver(post_save, sender=ProductVariant, dispatch_uid="webhooks.variant_saved")
@receiver(post_delete, sender=ProductVariant, dispatch_uid="webhooks.variant_deleted")
def _variant_changed(sender, instance: ProductVariant, raw: bool = False, **kwargs) -> None:
    if not raw:
        note(E.PRODUCT_UPDATED, "product", instance.product_id)


@receiver(stock_low, dispatch_uid="webhooks.stock_low")
def _stock_low(sender, variant_id: int, stock: int, **kwargs) -> None:
    services.record([(E.STOCK_LOW, "variant", variant_id)])  # announced on commit already
