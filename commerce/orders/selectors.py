"""Reading orders with the contract's visibility: the owner, staff, or whoever holds the order's token."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from commerce.errors import NotFound
from commerce.orders.models import Order, OrderEvent
from commerce.permissions import is_visible_to, visible_to


def visible_orders(viewer) -> QuerySet[Order]:
    """Orders a caller reaches by ID: their own; staff see all."""
    return visible_to(Order.objects.all(), viewer)


def orders_by_token(token: str) -> QuerySet[Order]:
    """A guest's order by its token: holding the token is the permission."""
    return Order.objects.filter(token=token)


def orders_reached(viewer, order_id: int, *, token: str | None = None) -> QuerySet[Order]:
    """The order with this ID if the caller may see it: its owner or staff, or whoever holds its token (a client
    that has both an order's ID and its token may send both)."""
    reached = visible_orders(viewer) | orders_by_token(token) if token else visible_orders(viewer)
    return reached.filter(pk=order_id)


def order_for(viewer, order_id: int, *, token: str | None = None) -> Order | None:
    """The order if the caller may act on it: its owner or staff, or whoever holds its token."""
    order = Order.objects.filter(pk=order_id).first()
    return order if order is not None and may_act_on(viewer, order, token=token) else None


def may_act_on(viewer, order: Order, *, token: str | None = None) -> bool:
    """order_for's rule for an order in hand (a live feed loads many at once, then checks each)."""
    return is_visible_to(order, viewer) or (bool(token) and constant_time_compare(token, order.token))


def order_for_update(viewer, order_id: int, *, token: str | None = None, field: str = "id") -> Order:
    order = order_for(viewer, order_id, token=token)
    if order is None:
        raise NotFound("No such order.", field=[field])
    return order


def events_with_orders(event_ids: list[int]) -> list[OrderEvent]:
    """These events, each with its order as it is now, in one query."""
    return list(OrderEvent.objects.select_related("order").filter(pk__in=event_ids).order_by())


def latest_events(order_ids: list[int]) -> list[OrderEvent]:
    """Each order's latest event, with the order as it is now, in one query."""
    latest = OrderEvent.objects.filter(order_id__in=order_ids).order_by().values("order_id").annotate(
        last=Max("pk")).values("last")
    return list(OrderEvent.objects.select_related("order").filter(pk__in=Subquery(latest)).order_by())


def events_since(after: int, *, user_id: int | None = None, limit: int, hours: int,
                 overlap_seconds: int) -> list[OrderEvent] | None:
    """What a feed (every order, or one user's) missed since event `after`, oldest first, each with its order as it
    is now; None when `after` is not in the feed's window (older than `hours`, or more than `limit` events back).

    Event ids are given at insert, and transactions commit in any order: an event numbered below `after` may
    have committed after it. So the events numbered below it that were written up to `overlap_seconds` before it
    come again (clients dedupe by event id); a transaction that writes an event must be shorter than that.
    """
    feed = OrderEvent.objects.order_by()
    if user_id is not None:
        feed = feed.filter(order__user_id=user_id)
    written = feed.filter(pk=after).values_list("created_at", flat=True).first()
    if written is None or written < timezone.now() - timedelta(hours=hours):
        return None
    since = feed.filter(Q(pk__gt=after) | Q(pk__lt=after, created_at__gte=written - timedelta(seconds=overlap_seconds)))
    events = list(since.select_related("order").order_by("pk")[:limit + 1])
    return events if len(events) <= limit else None


@dataclass(frozen=True)
class OrderQuery:
    statuses: list[str] | None = None
    payment_statuses: list[str] | None = None
    search: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def filter_orders(queryset: QuerySet[Order], query: OrderQuery) -> QuerySet[Order]:
    """Staff's order list: by status, payment status, creation time, and a search on the number or email."""
    if query.statuses:
        queryset = queryset.filter(status__in=query.statuses)
    if query.payment_statuses:
        queryset = queryset.filter(payment_status__in=query.payment_statuses)
    if query.created_from:
        queryset = queryset.filter(created_at__gte=query.created_from)
    if query.created_to:
        queryset = queryset.filter(created_at__lt=query.created_to)
    if query.search and query.search.strip():
        term = query.search.strip().lstrip("#")
        match = Q(email__icontains=term)
        if term.isdigit() and int(term) < 2**63:
            match |= Q(pk=int(term))
        queryset = queryset.filter(match)
    return queryset
