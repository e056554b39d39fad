"""Live order status: the subscriptions that deliver each order change to the sockets that follow it.

A change is loaded once per process and executed once per audience, the subscribers who would receive the same
bytes (graph.realtime.audiences); the loads of all the deliveries in flight in a process go to the database
together (graph.realtime.batches). The first message of `orderUpdated` is the order's current state with its
latest event, and `ordersUpdated(after:)`/`myOrdersUpdated(after:)` first replay what was missed, both read
after the subscription has joined its group: a change made after them always arrives. Clients dedupe by
`event.id`.

A new live feed: a subscription that checks who may follow it, then yields from `audiences.follow(info, groups,
load, first=...)` (`groups` as graph.realtime.publisher sends to, `load(event_id)` the value to execute against).
"""
import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from strawberry.types import Info

from commerce.orders import selectors
from graph.core.context import require_staff, require_user, viewer
from graph.core.errors import ApiError
from graph.core.ids import decode_id
from graph.orders import Order, OrderEvent
from graph.realtime import audiences
from graph.realtime.batches import BatchLoader
from graph.realtime.publisher import STAFF_GROUP, order_group, user_group

logger = logging.getLogger("graph.realtime.subscriptions")


@strawberry.type(description="A change of an order: the order as it is now, and the event that changed it.")
class OrderUpdate:
    order: Order
    event: OrderEvent


def _updates(event_ids: list[int]) -> dict[int, OrderUpdate]:
    """The updates for these events, in one query (each event with its order as it is now)."""
    return {event.pk: OrderUpdate(order=event.order, event=event) for event in selectors.events_with_orders(event_ids)}


_update_loader = BatchLoader(_updates)  # announced events, fetched with every other delivery in flight


def _current_updates(order_ids: list[int]) -> dict[int, OrderUpdate]:
    """Each order as it is now with its latest event, in one query: the first messages of `orderUpdated`."""
    return {event.order_id: OrderUpdate(order=event.order, event=event) for event in selectors.latest_events(order_ids)}


_current_loader = BatchLoader(_current_updates)


RETRY_PAUSES = (0.1, 0.5, 2.0)  # seconds between attempts at a live load


async def _live_load(loader: BatchLoader, key: int) -> OrderUpdate | None:
    """A load for a live feed, tried again after a database error: one failed fetch fails every delivery in its
    batch, and a moment's trouble (a dropped connection, a restart) should not end every screen the process
    holds. A connection that broke is dropped first, so the next attempt opens a new one. After the last
    attempt the error ends the subscription (masked, with a requestId), and the client subscribes again."""
    for pause in RETRY_PAUSES:
        try:
            return await loader.load(key)
        except DatabaseError as error:
            logger.warning("Live order update %s failed to load (%s); retrying in %s s", key, error, pause)
            await sync_to_async(close_old_connections)()
            await asyncio.sleep(pause)
    return await loader.load(key)


def _updates_of(events) -> list[OrderUpdate]:
    return [OrderUpdate(order=event.order, event=event) for event in events]


def _replay(info: Info, after: strawberry.ID | None, user_id: int | None = None):
    """`first` of a feed resumed `after` an event: what it missed, or CURSOR_TOO_OLD beyond the window."""
    if after is None:
        return None
    event_id = decode_id(after, OrderEvent, argument="after")

    async def missed() -> list[OrderUpdate]:
        events = await sync_to_async(selectors.events_since)(
            event_id, user_id=user_id, limit=settings.REALTIME_REPLAY_LIMIT, hours=settings.REALTIME_REPLAY_HOURS,
            overlap_seconds=settings.REALTIME_REPLAY_OVERLAP_SECONDS)
        if events is None:
            raise ApiError("This feed cannot resume from that far back: load the orders again, then follow.",
                           code="CURSOR_TOO_OLD", limit=settings.REALTIME_REPLAY_LIMIT,
                           hours=settings.REALTIME_REPLAY_HOURS)
        return _updates_of(events)

    return missed


async def _load_update(event_id: int) -> OrderUpdate | None:
    return await _live_load(_update_loader, event_id)


RESUME = ("The last `event.id` this client received: the events since then are replayed first (and a few "
          "before it, which may have committed late: dedupe by `event.id`), then the feed goes live.")


@strawberry.type
class OrderSubscription:
    """Each feed names the channel-layer groups it follows and how a change is loaded; graph.realtime.audiences
    shares its executions between the sockets that would receive the same bytes."""

    @strawberry.subscription(description="One order: its owner, staff, or whoever holds its token. The first "
                                         "message is its current state with its latest event.")
    async def order_updated(self, info: Info, id: strawberry.ID, token: str | None = None) -> AsyncGenerator[OrderUpdate, None]:
        order_id = decode_id(id, Order, argument="id")

        async def current() -> list[OrderUpdate]:  # after joining: nothing after it can be missed
            first = await _live_load(_current_loader, order_id)
            if first is None or not selectors.may_act_on(viewer(info), first.order, token=token):
                raise ApiError("No such order, or not one you may follow.", code="FORBIDDEN")
            return [first]

        async for update in audiences.follow(info, [order_group(order_id)], _load_update, first=current):
            yield update

    @strawberry.subscription(description="Every order of the signed-in user.")
    async def my_orders_updated(self, info: Info, after: Annotated[strawberry.ID | None, strawberry.argument(
            description=RESUME)] = None) -> AsyncGenerator[OrderUpdate, None]:
        user = require_user(info)  # signed in by connection_init's Authorization
        async for update in audiences.follow(info, [user_group(user.pk)], _load_update,
                                             first=_replay(info, after, user.pk)):
            yield update

    @strawberry.subscription(description="Staff: every order.")
    async def orders_updated(self, info: Info, after: Annotated[strawberry.ID | None, strawberry.argument(
            description=RESUME)] = None) -> AsyncGenerator[OrderUpdate, None]:
        require_staff(info)
        async for update in audiences.follow(info, [STAFF_GROUP], _load_update, first=_replay(info, after)):
            yield update
