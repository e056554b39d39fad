"""Shipments: an order leaves in one or more parcels, each with some units of some lines and its carrier's details.

The order's status follows its shipments: PARTIALLY_FULFILLED while some units have shipped, FULFILLED once every
unit has, DELIVERED once every shipment is delivered. A shipment's status only moves forward (PENDING ->
SHIPPED -> IN_TRANSIT -> DELIVERED), whoever reports it (staff, or the carrier's webhook, whose events may arrive
late, twice or out of order): a report of an earlier status changes nothing. The order keeps the latest
shipment's carrier, tracking number and link, which is what `Order.carrier/trackingNumber/trackingUrl` show.
Every write locks the order row first, as the status machine does.
"""
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from commerce.orders.models import (
    Order,
    OrderEventType,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)
from commerce.orders.services import OrderError, record_event, transition
from commerce.validation import check_fields

PROGRESS = [ShipmentStatus.PENDING, ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED]
SHIPPABLE = {OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED}


@dataclass(frozen=True)
class LineQuantity:
    """Some units of one of the order's lines (what a shipment or a return holds)."""

    order_line_id: int
    quantity: int


def shipped_quantities(order: Order) -> Counter:
    """Units shipped so far, by order line id."""
    rows = ShipmentLine.objects.filter(shipment__order=order).values("order_line_id").annotate(units=Sum("quantity"))
    return Counter({row["order_line_id"]: row["units"] for row in rows})


def requested_lines(order: Order, lines: list[LineQuantity], available: dict[int, int], *,
                    too_many: str, code: str) -> dict[int, int]:
    """`lines` checked against the order: each an order line of this order, a positive quantity, and no more
    than `available` of it (`too_many` says why not, with `code`). The same line named twice counts once, summed."""
    if not lines:
        raise OrderError("Name at least one line.", code="REQUIRED", field=["lines"])
    known = set(OrderLine.objects.filter(order=order).values_list("pk", flat=True))
    wanted: Counter = Counter()
    for i, line in enumerate(lines):
        if line.order_line_id not in known:
            raise OrderError("This order has no such line.", code="NOT_FOUND", field=["lines", str(i), "orderLineId"])
        if line.quantity < 1:
            raise OrderError("The quantity must be at least 1.", field=["lines", str(i), "quantity"])
        wanted[line.order_line_id] += line.quantity
        if wanted[line.order_line_id] > available.get(line.order_line_id, 0):
            raise OrderError(f"{too_many} (at most {available.get(line.order_line_id, 0)} of this line).", code=code,
                             field=["lines", str(i), "quantity"])
    return dict(wanted)


def _checked_details(carrier: str, tracking_number: str, tracking_url: str) -> dict:
    """The carrier's details as the model declares them; a link must be http or https."""
    shipment = Shipment(carrier=carrier.strip(), tracking_number=tracking_number.strip(), tracking_url=tracking_url.strip())
    check_fields(shipment, ["carrier", "tracking_number", "tracking_url"], path=[])
    if shipment.tracking_url and not shipment.tracking_url.lower().startswith(("https://", "http://")):
        raise OrderError("The tracking URL must be an http or https link.", field=["trackingUrl"])
    return {"carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url}


@transaction.atomic
def ship(order: Order, lines: list[LineQuantity] | None, *, actor, carrier: str = "", tracking_number: str = "",
         tracking_url: str = "") -> Order:
    """One shipment of `lines` (None: every unit not shipped yet) with its carrier's details.

    The shipment that ships the last units writes FULFILLED (the event a customer and an integration know as
    "the order is on its way"); one that leaves units to ship writes SHIPPED. More than is left of a line is
    INVALID with the line's path; an order that is not paid, or fully shipped already, INVALID_TRANSITION.
    """
    details = _checked_details(carrier, tracking_number, tracking_url)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in SHIPPABLE:
        raise OrderError(f"An order that is {order.status} cannot ship.", code="INVALID_TRANSITION", field=["id"])
    shipped = shipped_quantities(order)
    left = {pk: quantity - shipped[pk] for pk, quantity in order.lines.values_list("pk", "quantity")}
    if lines is None:
        wanted = {pk: units for pk, units in left.items() if units > 0}
    else:
        wanted = requested_lines(order, lines, left, too_many="More than is left to ship", code="INVALID")
    now = timezone.now()
    shipment = Shipment.objects.create(order=order, status=ShipmentStatus.SHIPPED, shipped_at=now,
                                       status_changed_at=now, **details)
    ShipmentLine.objects.bulk_create(ShipmentLine(shipment=shipment, order_line_id=pk, quantity=units)
                                     for pk, units in wanted.items())
    complete = all(wanted.get(pk, 0) == units for pk, units in left.items())
    to, event_type = ((OrderStatus.FULFILLED, OrderEventType.FULFILLED) if complete
                      else (OrderStatus.PARTIALLY_FULFILLED, OrderEventType.SHIPPED))
    units = sum(wanted.values())
    message = f"{units} unit{'s' if units != 1 else ''} shipped" + (
        f" with {details['carrier']}" if details["carrier"] else "") + (
        f", tracking {details['tracking_number']}" if details["tracking_number"] else "") + "."
    about = {"shipment": shipment}
    if order.status == to:  # another part of a partly shipped order: its status stays
        previous = order.status
        for name, value in details.items():
            setattr(order, name, value)
        order.save(update_fields=[*details, "updated_at"])
        record_event(order, event_type, previous_status=previous, actor=actor, message=message, **about)
        return order
    return transition(order, to, event_type, actor=actor, message=message, about=about, **details)


@transaction.atomic
def set_status(shipment: Shipment, status: str, *, actor=None, occurred_at: datetime | None = None,
               strict: bool = True) -> Shipment:
    """Move a shipment forward to `status`; the order becomes DELIVERED when this delivers its last shipment.

    The same status again changes nothing. An earlier one is refused with INVALID_TRANSITION when `strict`
    (staff asked for it), and ignored otherwise (a carrier's late event).
    """
    order = Order.objects.select_for_update().get(pk=shipment.order_id)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if PROGRESS.index(status) <= PROGRESS.index(shipment.status):
        if strict and status != shipment.status:
            raise OrderError(f"A shipment that is {shipment.status} cannot go back to {status}.",
                             code="INVALID_TRANSITION", field=["status"])
        return shipment
    when = occurred_at or timezone.now()
    shipment.status, shipment.status_changed_at = status, when
    if status == ShipmentStatus.DELIVERED:
        shipment.delivered_at = when
    shipment.save(update_fields=["status", "status_changed_at", "delivered_at"])
    about = {"shipment": shipment}
    if order.status == OrderStatus.FULFILLED and all_delivered(order):
        transition(order, OrderStatus.DELIVERED, OrderEventType.DELIVERED, actor=actor, about=about,
                   message=f"Every shipment delivered{_naming(shipment)}.")
    else:
        record_event(order, OrderEventType.NOTE, actor=actor, message=f"Shipment{_naming(shipment)} is {status}.",
                     **about)
    return shipment


def _naming(shipment: Shipment) -> str:
    return f" {shipment.tracking_number}" if shipment.tracking_number else f" {shipment.pk}"


def all_delivered(order: Order) -> bool:
    return not order.shipments.exclude(status=ShipmentStatus.DELIVERED).exists()


@transaction.atomic
def mark_all_delivered(order: Order, *, actor) -> Order:
    """Staff say a FULFILLED order has arrived: every shipment not yet delivered is, and so is the order."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.FULFILLED:
        raise OrderError(f"An order that is {order.status} cannot become DELIVERED.", code="INVALID_TRANSITION",
                         field=["id"])
    now = timezone.now()
    order.shipments.exclude(status=ShipmentStatus.DELIVERED).update(
        status=ShipmentStatus.DELIVERED, status_changed_at=now, delivered_at=now)
    return transition(order, OrderStatus.DELIVERED, OrderEventType.DELIVERED, actor=actor)


def record_carrier_status(tracking_number: str, status: str, occurred_at: datetime | None) -> int:
    """A carrier says the parcels with `tracking_number` reached `status`: applied to each not already past it.
    Returns how many shipments carry that number (0: none of ours)."""
    shipments = list(Shipment.objects.filter(tracking_number=tracking_number).order_by("pk")) if tracking_number else []
    for shipment in shipments:
        set_status(shipment, status, occurred_at=occurred_at, strict=False)
    return len(shipments)
