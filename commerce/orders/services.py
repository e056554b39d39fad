"""The order status machine and every change of an order after it is placed.

`status` moves UNPAID -> PAID -> FULFILLED -> DELIVERED, and UNPAID or PAID -> CANCELLED; nothing else. Each
change locks the order row, checks the move here (INVALID_TRANSITION otherwise), writes an OrderEvent, and
announces `order_changed` on commit, so the API, the admin and the jobs all change orders the same way.
Cancelling puts the stock back; CANCELLED is final, so that happens exactly once.
"""
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from commerce.catalog.models import ProductVariant
from commerce.errors import DomainError
from commerce.events import announce
from commerce.orders.models import Order, OrderEvent, OrderEventType, OrderStatus, PaymentStatus
from commerce.orders.signals import order_changed

TRANSITIONS = {
    OrderStatus.UNPAID: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.FULFILLED, OrderStatus.CANCELLED},
    OrderStatus.FULFILLED: {OrderStatus.DELIVERED},
}


class OrderError(DomainError):
    pass


def can_become(status: str, to: str) -> bool:
    return to in TRANSITIONS.get(status, set())


def record_event(order: Order, type: str, *, previous_status: str = "", actor=None, message: str = "") -> OrderEvent:
    """Write the order's new state into its history and announce it once the transaction commits."""
    event = OrderEvent.objects.create(
        order=order, type=type, status=order.status, previous_status=previous_status,
        payment_status=order.payment_status, actor=actor if actor and actor.is_authenticated else None,
        message=message,
    )
    announce(order_changed, order_id=order.pk, event_id=event.pk)
    return event


@transaction.atomic
def transition(order: Order, to: str, event_type: str, *, actor=None, message: str = "", **changes) -> Order:
    """Move the order to `to` (with any field `changes`), or INVALID_TRANSITION; restocks on cancellation."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not can_become(order.status, to):
        raise OrderError(f"An order that is {order.status} cannot become {to}.", code="INVALID_TRANSITION", field=["id"])
    previous = order.status
    order.status = to
    for name, value in changes.items():
        setattr(order, name, value)
    order.save()
    if to == OrderStatus.CANCELLED:
        _restock(order)
    record_event(order, event_type, previous_status=previous, actor=actor, message=message)
    return order


def _restock(order: Order) -> None:
    for line in order.lines.exclude(variant=None):
        ProductVariant.objects.filter(pk=line.variant_id).update(stock=F("stock") + line.quantity)


def record_payment(order: Order, *, message: str = "") -> Order:
    """The money arrived (the payment provider says so): UNPAID becomes PAID."""
    return transition(order, OrderStatus.PAID, OrderEventType.PAYMENT_SUCCEEDED, message=message,
                      payment_status=PaymentStatus.PAID)


def fulfill(order: Order, *, actor, carrier: str = "", tracking_number: str = "", tracking_url: str = "") -> Order:
    return transition(order, OrderStatus.FULFILLED, OrderEventType.FULFILLED, actor=actor,
                      carrier=carrier.strip(), tracking_number=tracking_number.strip(), tracking_url=tracking_url.strip())


def mark_delivered(order: Order, *, actor) -> Order:
    return transition(order, OrderStatus.DELIVERED, OrderEventType.DELIVERED, actor=actor)


def cancel(order: Order, *, actor, as_staff: bool) -> Order:
    """A customer may cancel their order while it is unpaid; staff until it is fulfilled."""
    if not as_staff and order.status != OrderStatus.UNPAID and can_become(order.status, OrderStatus.CANCELLED):
        raise OrderError("A paid order can only be cancelled by the shop.", code="PERMISSION_DENIED", field=["id"])
    return transition(order, OrderStatus.CANCELLED, OrderEventType.CANCELLED, actor=actor)


def unpaid_orders_due_for_expiry() -> list[int]:
    cutoff = timezone.now() - settings.ORDER_UNPAID_LIFETIME
    return list(Order.objects.filter(status=OrderStatus.UNPAID, created_at__lte=cutoff).values_list("pk", flat=True))


def expire_if_unpaid(order_id: int) -> bool:
    """Cancel an order left unpaid past ORDER_UNPAID_LIFETIME, releasing its stock; a no-op for any other
    order (paid since, already expired), so the job may run twice. True when it expired the order now."""
    cutoff = timezone.now() - settings.ORDER_UNPAID_LIFETIME
    order = Order.objects.filter(pk=order_id, status=OrderStatus.UNPAID, created_at__lte=cutoff).first()
    if order is None:
        return False
    try:
        transition(order, OrderStatus.CANCELLED, OrderEventType.EXPIRED, message="Not paid in time.")
    except OrderError:  # paid or cancelled between the read and the lock
        return False
    return True
