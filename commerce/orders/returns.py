"""Returns (RMA): a customer asks to send back units that shipped, staff approve or decline, and once the parcel is
back (commerce.payments.returns, which refunds) the return is received.

What may be returned: units of a line that shipped, less those already named by a return that is not declined
(requested, approved, received or refunded), and only from shipments whose return window is open:
RETURN_WINDOW_DAYS from the shipment's delivery, or from its shipping where no delivery is recorded. Every step
locks the order row first, so two requests racing for the last unit give one return.

The refund of a return is the lines' share of what was paid (refund_share): their value's part of the goods,
discount and tax pro rata; shipping and its tax per RETURN_REFUNDS_SHIPPING. Each return's share is rounded on its
own, and the return that brings the last unit back takes whatever is left, so the returns of an order always add
up to exactly what was paid.
"""
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from commerce.accounts import throttle
from commerce.catalog.stock import change_stock
from commerce.errors import Throttled
from commerce.money import round_money
from commerce.orders.models import (
    Order,
    OrderEventType,
    OrderStatus,
    Return,
    ReturnLine,
    ReturnStatus,
    ShipmentLine,
)
from commerce.orders.services import OrderError, record_event
from commerce.orders.shipments import LineQuantity, requested_lines, shipped_quantities

RETURNABLE_ORDERS = {OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED, OrderStatus.DELIVERED}
COUNTED = [ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.RECEIVED, ReturnStatus.REFUNDED]
BACK = [ReturnStatus.RECEIVED, ReturnStatus.REFUNDED]
REASON_MAX_LENGTH = 2000


class ReturnError(OrderError):
    code = "RETURN_NOT_ALLOWED"


def returned_quantities(order: Order, statuses=COUNTED) -> Counter:
    """Units named by the order's returns in `statuses`, by order line id."""
    rows = (ReturnLine.objects.filter(order_return__order=order, order_return__status__in=statuses)
            .values("order_line_id").annotate(units=Sum("quantity")))
    return Counter({row["order_line_id"]: row["units"] for row in rows})


def returnable_quantities(order: Order, now=None) -> dict[int, int]:
    """Units of each line a return may still name: shipped in a shipment whose window is open, and not named by
    another return (the units returned are taken from the oldest shipments first)."""
    now = now or timezone.now()
    opened_after = now - timedelta(days=settings.RETURN_WINDOW_DAYS)
    in_window: Counter = Counter()
    for line in ShipmentLine.objects.filter(shipment__order=order).select_related("shipment"):
        shipment = line.shipment
        if (shipment.delivered_at or shipment.shipped_at or shipment.created_at) >= opened_after:
            in_window[line.order_line_id] += line.quantity
    shipped, returned = shipped_quantities(order), returned_quantities(order)
    return {pk: max(0, min(in_window[pk], shipped[pk] - returned[pk])) for pk in shipped}


def refuse_flood(client_ip: str) -> None:
    """returnRequest is throttled per IP address: a guest's order token is all it takes, so it must not be a
    cheap way to try tokens. Past RETURN_REQUESTS_PER_IP in RETURN_REQUEST_WINDOW: THROTTLED."""
    window = settings.RETURN_REQUEST_WINDOW
    if throttle.count("return-request-ip", client_ip, window) > settings.RETURN_REQUESTS_PER_IP:
        raise Throttled("Too many return requests from this address. Try again later.",
                        retry_after=int(window.total_seconds()))


@transaction.atomic
def request_return(order: Order, lines: list[LineQuantity], reason: str, *, actor) -> Return:
    """The customer's (or token holder's) request: RETURN_NOT_ALLOWED for units not shipped, already returned,
    or past the window; NOT_FOUND for a line of another order; REQUIRED for an empty reason."""
    reason = reason.strip()
    if not reason:
        raise OrderError("Say why the items are coming back.", code="REQUIRED", field=["reason"])
    if len(reason) > REASON_MAX_LENGTH:
        raise OrderError(f"At most {REASON_MAX_LENGTH} characters.", field=["reason"])
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in RETURNABLE_ORDERS:
        raise ReturnError("Nothing of this order has shipped, so nothing can be returned.", field=["orderId"])
    wanted = requested_lines(order, lines, returnable_quantities(order), code="RETURN_NOT_ALLOWED",
                             too_many="More than shipped and not yet returned within the return window")
    order_return = Return.objects.create(order=order, reason=reason,
                                         requested_by=actor if actor and actor.is_authenticated else None)
    ReturnLine.objects.bulk_create(ReturnLine(order_return=order_return, order_line_id=pk, quantity=units)
                                   for pk, units in wanted.items())
    units = sum(wanted.values())
    record_event(order, OrderEventType.RETURN_REQUESTED, actor=actor, order_return=order_return,
                 message=f"Return {order_return.pk} of {units} unit{'s' if units != 1 else ''} requested: {reason}")
    return order_return


def _locked(order_return: Return, allowed: set[str], to: str) -> tuple[Order, Return]:
    """The order and the return under the order's lock, the return in one of `allowed` statuses."""
    order = Order.objects.select_for_update().get(pk=order_return.order_id)
    order_return = Return.objects.get(pk=order_return.pk)
    if order_return.status not in allowed:
        raise OrderError(f"A return that is {order_return.status} cannot become {to}.", code="INVALID_TRANSITION",
                         field=["id"])
    return order, order_return


@transaction.atomic
def approve(order_return: Return, *, actor) -> Return:
    order, order_return = _locked(order_return, {ReturnStatus.REQUESTED}, ReturnStatus.APPROVED)
    order_return.status = ReturnStatus.APPROVED
    order_return.save(update_fields=["status", "updated_at"])
    record_event(order, OrderEventType.RETURN_APPROVED, actor=actor, order_return=order_return,
                 message=f"Return {order_return.pk} approved: send the items back.")
    return order_return


@transaction.atomic
def decline(order_return: Return, reason: str, *, actor) -> Return:
    """Staff refuse a requested (or approved, not yet received) return; its units may be asked for again."""
    reason = reason.strip()
    if not reason:
        raise OrderError("Say why the return is declined.", code="REQUIRED", field=["reason"])
    if len(reason) > REASON_MAX_LENGTH:
        raise OrderError(f"At most {REASON_MAX_LENGTH} characters.", field=["reason"])
    order, order_return = _locked(order_return, {ReturnStatus.REQUESTED, ReturnStatus.APPROVED},
                                  ReturnStatus.DECLINED)
    order_return.status, order_return.decline_reason = ReturnStatus.DECLINED, reason
    order_return.save(update_fields=["status", "decline_reason", "updated_at"])
    record_event(order, OrderEventType.RETURN_DECLINED, actor=actor, order_return=order_return,
                 message=f"Return {order_return.pk} declined: {reason}")
    return order_return


def goods_paid(order: Order) -> Decimal:
    """What the lines cost the customer: the subtotal less the discount, with the tax on that part (the tax is
    charged on goods and shipping alike, so it is split between them pro rata). The rest of the total is what
    shipping cost, with its tax."""
    goods = order.subtotal - order.discount
    base = goods + order.shipping
    return round_money(goods + (order.tax * goods / base if base else 0), order.currency)


def refund_share(order: Order, order_return: Return) -> Decimal:
    """What receiving `order_return` refunds (before any cap by what is left to refund): see the module's doc.

    Call it under the order's lock with the return not yet counted as back."""
    lines = {line.order_line_id: line for line in order_return.lines.select_related("order_line")}
    back = returned_quantities(order, BACK)
    ordered = dict(order.lines.values_list("pk", "quantity"))
    completes = all(back[pk] + (lines[pk].quantity if pk in lines else 0) >= quantity
                    for pk, quantity in ordered.items())
    goods = goods_paid(order)
    if completes:
        whole = order.total if settings.RETURN_REFUNDS_SHIPPING == "all_returned" else goods
        earlier = (Return.objects.filter(order=order, status__in=BACK).exclude(pk=order_return.pk)
                   .aggregate(total=Sum("refund_amount"))["total"] or Decimal(0))
        return max(Decimal(0), whole - earlier)
    value = sum((line.order_line.total * line.quantity / line.order_line.quantity for line in lines.values()),
                Decimal(0))
    return round_money(goods * value / order.subtotal, order.currency) if order.subtotal else Decimal(0)


def mark_received(order: Order, order_return: Return, *, refund: Decimal, restock: bool, actor,
                  payout_pending: bool = False) -> Return:
    """The parcel is back (call under the order's lock): the return is RECEIVED with the refund it is owed, and
    its units go back on the shelf if asked."""
    order_return.status, order_return.refund_amount = ReturnStatus.RECEIVED, refund
    order_return.restocked, order_return.payout_pending = restock, payout_pending
    order_return.save(update_fields=["status", "refund_amount", "restocked", "payout_pending", "updated_at"])
    if restock:
        units: Counter = Counter()
        for line in order_return.lines.select_related("order_line"):
            if line.order_line.variant_id:
                units[line.order_line.variant_id] += line.quantity
        change_stock(dict(units))
    record_event(order, OrderEventType.RETURN_RECEIVED, actor=actor, order_return=order_return,
                 message=f"Return {order_return.pk} received{', restocked' if restock else ''}; "
                         f"{refund} {order.currency} to refund.")
    return order_return


def mark_refunded(order_return: Return, *, payout_pending: bool) -> Return:
    """The return's refund went through the gateway (REFUNDED), or was recorded for staff to pay out by hand
    (stays RECEIVED, `payout_pending`)."""
    order_return.status = ReturnStatus.RECEIVED if payout_pending else ReturnStatus.REFUNDED
    order_return.payout_pending = payout_pending
    order_return.save(update_fields=["status", "payout_pending", "updated_at"])
    return order_return
