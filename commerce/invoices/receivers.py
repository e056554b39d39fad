"""A credit note for every refund recorded. Every path that refunds (orderRefund, a provider's refund webhook, a
return's refund, a staff cancellation) ends in commerce.payments' reconciliation, which raises the order's
refunded total and writes one REFUNDED OrderEvent in the same transaction; the credit note is issued right there,
so it commits, or rolls back, with the refund's record, and its unique link to the event means never twice."""
from django.db.models.signals import post_save
from django.dispatch import receiver

from commerce.orders.models import OrderEvent, OrderEventType

from . import services


@receiver(post_save, sender=OrderEvent, dispatch_uid="commerce.invoices.credit_refund")
def _credit_refund(sender, instance: OrderEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw and instance.type == OrderEventType.REFUNDED:
        services.credit_refund(instance)
