"""Live order status: the subscriptions that deliver each order change to the sockets that follow it.

A subscription loads what it sends itself, so it sees exactly what its subscriber may see; the loads of all the
deliveries in flight in a process go to the database together (graph.realtime.batches), which keeps a burst of
changes from queueing one round trip per socket behind Django's one sync thread. The first message of
`orderUpdated` is the order's current state with its latest event, sent after the subscription has joined its
group: a change made after that first message always arrives. Clients dedupe by `event.id`.
"""
import asyncio
import logging
from collections.abc import AsyncGenerator

import strawberry
from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections
from strawberry.types import Info

from commerce.orders import selectors
from graph.core.context import require_staff, require_user, viewer
from graph.core.errors import ApiError
from graph.core.ids import decode_id
from graph.orders import Order, OrderEvent
from graph.realtime.batches import BatchLoader
from graph.realtime.publisher import MESSAGE, STAFF_GROUP, order_group, user_group

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


async def _follow(info: Info, group: str) -> AsyncGenerator[OrderUpdate, None]:
    """Every change announced to `group`, as it comes."""
    async with info.context.ws.listen_to_channel(MESSAGE, groups=[group]) as messages:
        async for message in messages:
            update = await _live_load(_update_loader, message["event_id"])
            if update is not None:
                yield update


@strawberry.type
class OrderSubscription:
    @strawberry.subscription(description="One order: its owner, staff, or whoever holds its token. The first "
                                         "message is its current state with its latest event.")
    async def order_updated(self, info: Info, id: strawberry.ID, token: str | None = None) -> AsyncGenerator[OrderUpdate, None]:
        order_id = decode_id(id, Order, argument="id")
        async with info.context.ws.listen_to_channel(MESSAGE, groups=[order_group(order_id)]) as messages:
            first = await _live_load(_current_loader, order_id)  # after joining: nothing after it can be missed
            if first is None or not selectors.may_act_on(viewer(info), first.order, token=token):
                raise ApiError("No such order, or not one you may follow.", code="FORBIDDEN")
            last = first.event.pk
            yield first
            async for message in messages:
                if message["event_id"] > last:
                    last = message["event_id"]
                    update = await _live_load(_update_loader, message["event_id"])
                    if update is not None:
                        yield update

    @strawberry.subscription(description="Every order of the signed-in user.")
    async def my_orders_updated(self, info: Info) -> AsyncGenerator[OrderUpdate, None]:
        user = require_user(info)  # signed in by connection_init's Authorization
        async for update in _follow(info, user_group(user.pk)):
            yield update

    @strawberry.subscription(description="Staff: every order.")
    async def orders_updated(self, info: Info) -> AsyncGenerator[OrderUpdate, None]:
        require_staff(info)
        async for update in _follow(info, STAFF_GROUP):
            yield update
