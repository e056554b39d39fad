"""`GET /orders/<token>/`: the order-tracking page every order email links to (commerce.orders.links).

Server-rendered (commerce/orders/tracking.py says what it shows), then kept live by its script
(orders/tracking.js) over the API's websocket, `orderUpdated(id, token)`, with the project's own protocol client
(graph/graphql-ws.js), which reconnects by itself. Nothing is loaded from elsewhere and nothing is inline (the
labels the script needs are a JSON data block, which never runs), so the page works offline on the embedded server
and under a strict Content-Security-Policy.

The token is the permission, as it is for `order(token:)`, so the page is guarded as that query is:
- each request takes ORDER_TRACKING_PAGE_COST points from the caller's address bucket, the API's own
  (graph.transport.buckets), before the token is looked up; an empty bucket is a 429 with Retry-After;
- an unknown or malformed token is the same plain 404, whichever it was;
- the token is in the URL, so answers are `Referrer-Policy: no-referrer` (a tracking link clicked on the page
  does not carry it to the carrier) and `Cache-Control: private, no-store`, and the logs mask it (project.logs).
The language is the browser's (Accept-Language) among LANGUAGES, for this page alone: the API and the admin are
left as they are.
"""
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.http import require_safe

from commerce.accounts.throttle import client_address
from commerce.orders import tracking
from graph.core.ids import local_id
from graph.transport import buckets

# Nothing inline, nothing from elsewhere; 'self' in connect-src covers the same-origin ws:/wss: socket.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
          "form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": POLICY, "Referrer-Policy": "no-referrer",
           "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
           "Vary": "Accept-Language"}


@require_safe
def order_page(request: HttpRequest, token: str) -> HttpResponse:
    with translation.override(translation.get_language_from_request(request)):
        refused = _throttled(request)
        if refused is not None:
            return _page("orders/tracking/throttled.html", {"retry_after": refused.retry_after}, status=429,
                         headers={"Retry-After": str(refused.retry_after)})
        order = tracking.order_for_page(token)
        if order is None:
            return _page("orders/tracking/not_found.html", {}, status=404)
        return _page("orders/tracking/page.html", {
            "order": order, "order_id": local_id("Order", order.pk), "lines": order.lines.all(),
            "timeline": tracking.timeline(order), "shipments": tracking.shipments_of(order),
            "status_label": tracking.STATUS_LABELS[order.status],
            "payment_label": tracking.PAYMENT_LABELS[order.payment_status],
            "catalog": tracking.catalog(),
        })


def _throttled(request: HttpRequest) -> buckets.Status | None:
    address = client_address(request.META.get("REMOTE_ADDR"), request.headers.get("X-Forwarded-For"))
    status = buckets.take(buckets.cost_bucket(), buckets.address_client(address), settings.ORDER_TRACKING_PAGE_COST)
    return status if status is not None and not status.taken else None


def _page(template: str, context: dict, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    body = render_to_string(template, {"shop_name": settings.SHOP_NAME, **context})
    response = HttpResponse(body, status=status, headers={**HEADERS, **(headers or {})})
    response["Content-Language"] = translation.get_language()
    return response
