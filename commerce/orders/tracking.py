"""What the order-tracking page (`GET /orders/<token>/`, project/tracking.py) shows of an order, and in which words.

The page is for whoever holds the link of an order email, so it shows what a customer needs to follow the order
(number, lines, totals, status, payment, timeline, shipments) and leaves out what a forwarded link should not carry:
the email address, the addresses, staff notes and event messages (written for staff, in English).

The labels are translated (Django's i18n; the French catalog is commerce/orders/locale/fr); the page's script gets
them as a JSON catalog rendered into the page, so a live update reads in the page's language.
"""
import re
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from commerce.orders.models import Order, OrderEventType, OrderStatus, PaymentStatus

# new_token's shape (token_urlsafe), with room for longer ones; anything else is not looked up at all.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")

STATUS_LABELS = {
    OrderStatus.UNPAID: pgettext_lazy("order status", "Awaiting payment"),
    OrderStatus.PAID: pgettext_lazy("order status", "Paid"),
    OrderStatus.PARTIALLY_FULFILLED: pgettext_lazy("order status", "Partly shipped"),
    OrderStatus.FULFILLED: pgettext_lazy("order status", "Shipped"),
    OrderStatus.DELIVERED: pgettext_lazy("order status", "Delivered"),
    OrderStatus.CANCELLED: pgettext_lazy("order status", "Cancelled"),
}
PAYMENT_LABELS = {
    PaymentStatus.NOT_PAID: pgettext_lazy("payment status", "Not paid"),
    PaymentStatus.PAID: pgettext_lazy("payment status", "Paid"),
    PaymentStatus.PARTIALLY_REFUNDED: pgettext_lazy("payment status", "Partly refunded"),
    PaymentStatus.REFUNDED: pgettext_lazy("payment status", "Refunded"),
}
EVENT_LABELS = {  # NOTE is not here: staff's notes stay off the page
    OrderEventType.PLACED: pgettext_lazy("order event", "Order placed"),
    OrderEventType.PAYMENT_SUCCEEDED: pgettext_lazy("order event", "Payment received"),
    OrderEventType.PAYMENT_FAILED: pgettext_lazy("order event", "Payment failed"),
    OrderEventType.FULFILLED: pgettext_lazy("order event", "Shipped"),
    OrderEventType.DELIVERED: pgettext_lazy("order event", "Delivered"),
    OrderEventType.CANCELLED: pgettext_lazy("order event", "Cancelled"),
    OrderEventType.EXPIRED: pgettext_lazy("order event", "Cancelled: not paid in time"),
    OrderEventType.REFUNDED: pgettext_lazy("order event", "Refunded"),
    OrderEventType.SHIPPED: pgettext_lazy("order event", "Parcel sent"),
    OrderEventType.RETURN_REQUESTED: pgettext_lazy("order event", "Return requested"),
    OrderEventType.RETURN_APPROVED: pgettext_lazy("order event", "Return approved"),
    OrderEventType.RETURN_DECLINED: pgettext_lazy("order event", "Return declined"),
    OrderEventType.RETURN_RECEIVED: pgettext_lazy("order event", "Return received"),
    OrderEventType.INVOICE_CREATED: pgettext_lazy("order event", "Invoice issued"),
}


@dataclass(frozen=True)
class Shipment:
    """One parcel as the page shows it (an order's Shipment, reduced to what a customer follows it by)."""

    carrier: str
    tracking_number: str
    tracking_url: str  # only http(s) links: the page makes it a link


def order_for_page(token: str) -> Order | None:
    """The order this token opens, with its lines and events, or None (a malformed token is not looked up)."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    return Order.objects.filter(token=token).prefetch_related("lines", "events", "shipments").first()


@dataclass(frozen=True)
class Entry:
    """One step of the timeline: an event a customer sees, in their words."""

    pk: int
    type: str
    label: str
    created_at: datetime


def timeline(order: Order) -> list[Entry]:
    """The events a customer sees, oldest first."""
    events = sorted((e for e in order.events.all() if e.type in EVENT_LABELS), key=lambda e: e.pk)
    return [Entry(e.pk, e.type, str(EVENT_LABELS[e.type]), e.created_at) for e in events]


def shipments_of(order: Order) -> list[Shipment]:
    """The order's parcels, oldest first (a partly shipped order has several)."""
    return [Shipment(s.carrier, s.tracking_number, web_link(s.tracking_url))
            for s in sorted(order.shipments.all(), key=lambda s: s.pk)]


def web_link(url: str) -> str:
    return url if url.lower().startswith(("https://", "http://")) else ""


def catalog() -> dict:
    """The labels in the active language, for the page's script."""
    return {"status": {k: str(v) for k, v in STATUS_LABELS.items()},
            "payment": {k: str(v) for k, v in PAYMENT_LABELS.items()},
            "event": {k: str(v) for k, v in EVENT_LABELS.items()},
            "state": {"connecting": str(_("Connecting…")), "live": str(_("Live: this page updates by itself")),
                      "reconnecting": str(_("Connection lost, reconnecting…")), "stopped": str(_("Not updating"))},
            "shipment": {"carrier": str(_("Carrier")), "trackingNumber": str(_("Tracking number")),
                         "link": str(_("Track the parcel with the carrier"))},
            "announce": str(_("Order status: %(status)s. Payment: %(payment)s."))}
