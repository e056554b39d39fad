"""The order status machine, so the API, the admin and the jobs all change orders the same way.

`status` moves UNPAID -> PAID -> (PARTIALLY_FULFILLED ->) FULFILLED -> DELIVERED, and UNPAID or PAID -> CANCELLED;
nothing else. Shipping moves it (commerce.orders.shipments): a partly shipped order can no longer be cancelled.
Each change locks the order row, checks the move here (INVALID_TRANSITION otherwise), writes an OrderEvent, and
announces `order_changed` on commit. Cancelling puts the stock back; CANCELLED is final, so that happens once.
Cancelling and expiring start in commerce.payments, which closes an order's payments first.
"""
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from commerce import audit
from commerce.carts.models import Voucher
from commerce.catalog.stock import change_stock
from commerce.errors import DomainError
from commerce.events import announce
from commerce.orders import rollup
from commerce.orders.models import Order, OrderEvent, OrderEventType, OrderStatus, PaymentStatus
from commerce.orders.signals import order_changed

TRANSITIONS = {
    OrderStatus.UNPAID: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED, OrderStatus.CANCELLED},
    OrderStatus.PARTIALLY_FULFILLED: {OrderStatus.FULFILLED},
    OrderStatus.FULFILLED: {OrderStatus.DELIVERED},
}


class OrderError(DomainError):
    pass


def can_become(status: str, to: str) -> bool:
    return to in TRANSITIONS.get(status, set())


def record_event(order: Order, type: str, *, previous_status: str = "", actor=None, message: str = "",
                 shipment=None, order_return=None) -> OrderEvent:
    """Write the order's new state into its history and announce it once the transaction commits. `shipment`
    or `order_return` is what the event is about, when it is one of those."""
    event = OrderEvent.objects.create(
        order=order, type=type, status=order.status, previous_status=previous_status,
        payment_status=order.payment_status, actor=actor if actor and actor.is_authenticated else None,
        message=message, shipment=shipment, order_return=order_return,
    )
    announce(order_changed, order_id=order.pk, event_id=event.pk, user_id=order.user_id)
    rollup.order_changed(order.created_at)  # the dashboard's figures of the order's day are stale from the commit
    return event


@transaction.atomic
def transition(order: Order, to: str, event_type: str, *, actor=None, message: str = "", only_from=None,
               restock: bool = True, about: dict | None = None, **changes) -> Order:
    """Move the order to `to` (with any field `changes`), or INVALID_TRANSITION; restocks on cancellation.

    The order is re-read under its row lock, and the move checked against that state: a decision taken on an
    older read (expire an order that is UNPAID) passes `only_from`, so a payment that landed meanwhile wins.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not can_become(order.status, to) or (only_from is not None and order.status not in only_from):
        raise OrderError(f"An order that is {order.status} cannot become {to}.", code="INVALID_TRANSITION", field=["id"])
    previous, audited_before = order.status, audit.snapshot(order, changes)
    order.status = to
    for name, value in changes.items():
        setattr(order, name, value)
    order.save()
    if to == OrderStatus.CANCELLED:
        _release(order, was_paid=previous != OrderStatus.UNPAID, restock=restock)
    record_event(order, event_type, previous_status=previous, actor=actor, message=message, **(about or {}))
    audit.record(audit.TRANSITION, order, {"status": [previous, to],
                                           **audit.diff(audited_before, audit.snapshot(order, changes))}, actor=actor)
    return order


def _release(order: Order, *, was_paid: bool, restock: bool) -> None:
    """Put the stock back (one UPDATE, rows in primary-key order as checkout locks them) unless told not to
    (a refund with REFUND_RESTOCKS off), and give an unpaid order's voucher use back: a code is spent by a
    sale, not by an abandoned order."""
    if restock:
        returned = dict(order.lines.exclude(variant=None).values_list("variant_id", "quantity"))
        change_stock({pk: +quantity for pk, quantity in returned.items()})
    if order.voucher_code and not was_paid:
        Voucher.objects.filter(code=order.voucher_code, used_count__gt=0).update(used_count=F("used_count") - 1)


def record_payment(order: Order, *, message: str = "") -> Order:
    """The money arrived (the payment provider says so): UNPAID becomes PAID."""
    return transition(order, OrderStatus.PAID, OrderEventType.PAYMENT_SUCCEEDED, message=message,
                      payment_status=PaymentStatus.PAID)


def fulfill(order: Order, *, actor, carrier: str = "", tracking_number: str = "", tracking_url: str = "") -> Order:
    """Ship whatever is not shipped yet, in one shipment with the carrier's details (orderFulfill, the admin)."""
    from commerce.orders import shipments  # it builds on this module's status machine

    return shipments.ship(order, None, actor=actor, carrier=carrier, tracking_number=tracking_number,
                          tracking_url=tracking_url)


def mark_delivered(order: Order, *, actor) -> Order:
    """Every shipment of a FULFILLED order delivered, so the order is."""
    from commerce.orders import shipments

    return shipments.mark_all_delivered(order, actor=actor)


def mark_cancelled(order: Order, *, actor, as_staff: bool, only_from=None) -> Order:
    """The order's side of cancelling: a customer may cancel their order while it is unpaid; staff until it is
    fulfilled. `only_from` narrows the statuses the caller decided on (an UNPAID order whose payment was just
    closed). Callers use commerce.payments.services.cancel_order, which closes the payment's side first."""
    if not as_staff and order.status != OrderStatus.UNPAID and can_become(order.status, OrderStatus.CANCELLED):
        raise OrderError("A paid order can only be cancelled by the shop.", code="PERMISSION_DENIED", field=["id"])
    if order.status == OrderStatus.PARTIALLY_FULFILLED:
        raise OrderError("Part of this order has shipped, so it cannot be cancelled; refund what is left instead.",
                         code="INVALID_TRANSITION", field=["id"])
    if not as_staff:
        only_from = {OrderStatus.UNPAID}
    return transition(order, OrderStatus.CANCELLED, OrderEventType.CANCELLED, actor=actor, only_from=only_from)


def unpaid_past_lifetime():
    """Orders left UNPAID past ORDER_UNPAID_LIFETIME: due to expire."""
    cutoff = timezone.now() - settings.ORDER_UNPAID_LIFETIME
    return Order.objects.filter(status=OrderStatus.UNPAID, created_at__lte=cutoff)


def unpaid_orders_due_for_expiry() -> list[int]:
    return list(unpaid_past_lifetime().values_list("pk", flat=True))


def mark_expired(order: Order) -> bool:
    """The order's side of expiry: cancelled as EXPIRED, releasing its stock; False if it was paid or cancelled
    meanwhile. Callers use commerce.payments.services.expire_unpaid, which closes the payment's side first."""
    try:
        transition(order, OrderStatus.CANCELLED, OrderEventType.EXPIRED, message="Not paid in time.",
                   only_from={OrderStatus.UNPAID})
    except OrderError:  # paid or cancelled between the read and the lock: that change wins
        return False
    return True
