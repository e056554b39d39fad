"""Receiving a return: the parcel is back, so its share of what was paid goes back through the gateway that took
the money (commerce.orders.returns decides the share; the refund machinery here pays it).

In two steps, as every refund here: under the order's lock the return becomes RECEIVED with its refund fixed,
its stock back if asked, and a Refund row recorded; after commit the provider is asked. A provider that refuses
or cannot be reached leaves the return RECEIVED with its refund owed, and receiving it again retries the refund
(with the same idempotency key while the provider's answer is unknown), never the restock. A gateway that
cannot pay money back (`manual`, MTN MoMo without disbursement) records the refund for staff to pay out: the
return stays RECEIVED with `payout_pending`, and the order's events say so.
"""
from decimal import Decimal

from django.db import transaction

from commerce.orders import returns
from commerce.orders.models import Order, Return, ReturnStatus
from commerce.orders.services import OrderError
from commerce.payments import services as payments
from commerce.payments.gateways.base import MANUAL_REFUND_PREFIX
from commerce.payments.models import Refund


def receive(order_return: Return, *, restock: bool, actor) -> Return:
    """returnReceive: an APPROVED return is received and refunded; a RECEIVED one whose refund failed is retried."""
    retry = False
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_return.order_id)
        order_return = Return.objects.get(pk=order_return.pk)
        if _owed(order_return):
            pending = Refund.objects.filter(pk=order_return.refund_reference).first()
            retry = pending is not None  # sent once already, its answer lost: same key, asked first if it was made
            if pending is None:  # the provider refused it last time: ask again, afresh
                pending = _record_refund(order, order_return, order_return.refund_amount, actor)
        elif order_return.status != ReturnStatus.APPROVED:
            raise OrderError(f"A return that is {order_return.status} cannot be received.",
                             code="INVALID_TRANSITION", field=["id"])
        else:
            amount = _capped(order, returns.refund_share(order, order_return))
            pending = _record_refund(order, order_return, amount, actor) if amount else None
            returns.mark_received(order, order_return, refund=amount, restock=restock, actor=actor)
    if pending is None:
        return order_return
    if not pending.succeeded:
        pending = payments.pay_back(pending, retry=retry, actor=actor)
    return returns.mark_refunded(order_return, payout_pending=pending.refund_id.startswith(MANUAL_REFUND_PREFIX))


def _owed(order_return: Return) -> bool:
    """RECEIVED with a refund that has not gone through yet (the provider failed last time)."""
    return (order_return.status == ReturnStatus.RECEIVED and not order_return.payout_pending
            and bool(order_return.refund_amount))


def _capped(order: Order, share: Decimal) -> Decimal:
    """The share, but never more than is left to refund of the order (staff may have refunded part by hand)."""
    if not order.payments.filter(amount_received__gt=0).exists():
        return Decimal(0)
    _, left = payments.refundable(order)
    return max(Decimal(0), min(share, left))


def _record_refund(order: Order, order_return: Return, amount: Decimal, actor) -> Refund:
    if payments.pending_refund(order) is not None:
        raise OrderError("Another refund of this order is waiting for its provider's answer; retry that refund "
                         "(orderRefund) first.", code="INVALID_TRANSITION", field=["id"])
    pending = payments.open_refund(order, amount=amount, actor=actor)
    Return.objects.filter(pk=order_return.pk).update(refund_reference=pending.pk)
    order_return.refund_reference = pending.pk
    return pending

