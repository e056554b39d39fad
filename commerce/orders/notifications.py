"""The emails orders send: confirmation and status changes, to the customer. Jobs call these by id; each is sent
at most once per key. Every one links the order-tracking page (links.tracking_url)."""
from commerce.notifications.emails import send_once
from commerce.orders.links import tracking_url
from commerce.orders.models import Order, OrderEvent, OrderEventType, PaymentStatus

CUSTOMER_EVENTS = {
    OrderEventType.PAYMENT_SUCCEEDED: "is paid",
    OrderEventType.FULFILLED: "is on its way",
    OrderEventType.DELIVERED: "has been delivered",
    OrderEventType.CANCELLED: "was cancelled",
    OrderEventType.EXPIRED: "was cancelled because it was not paid in time",
    OrderEventType.SHIPPED: "is partly on its way",
    OrderEventType.RETURN_REQUESTED: "is requested",
    OrderEventType.RETURN_APPROVED: "is approved",
    OrderEventType.RETURN_DECLINED: "is declined",
    OrderEventType.RETURN_RECEIVED: "is received",
    OrderEventType.REFUNDED: "was refunded",
}
# News of a parcel names what is in it; news of a return, the return. Both link the order's tracking page.
TEMPLATES = {
    OrderEventType.SHIPPED: "order_shipment", OrderEventType.FULFILLED: "order_shipment",
    OrderEventType.DELIVERED: "order_shipment", OrderEventType.RETURN_REQUESTED: "order_return",
    OrderEventType.RETURN_APPROVED: "order_return", OrderEventType.RETURN_DECLINED: "order_return",
    OrderEventType.RETURN_RECEIVED: "order_return",
}
PARTLY_REFUNDED = "was partly refunded"  # a REFUNDED event that left some of the payment with the shop


def send_confirmation(order_id: int) -> None:
    order = Order.objects.filter(pk=order_id).prefetch_related("lines").first()
    if order is not None:
        send_once(f"order-placed:{order.pk}", "order_placed", order.email,
                  {"order": order, "lines": order.lines.all(), "order_page": tracking_url(order)})


def send_status_update(event_id: int) -> None:
    """The customer hears of the changes that concern them (paid, shipped, delivered, cancelled, refunded, their
    returns), once per event."""
    event = OrderEvent.objects.select_related("order", "shipment", "order_return").filter(pk=event_id).first()
    if event is not None and event.type in CUSTOMER_EVENTS:
        what = CUSTOMER_EVENTS[event.type]
        if event.type == OrderEventType.REFUNDED and event.payment_status == PaymentStatus.PARTIALLY_REFUNDED:
            what = PARTLY_REFUNDED
        send_once(f"order-event:{event.pk}", TEMPLATES.get(event.type, "order_status"), event.order.email,
                  {"order": event.order, "event": event, "what": what, "order_page": tracking_url(event.order),
                   "shipment": event.shipment, "order_return": event.order_return})
