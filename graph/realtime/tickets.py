"""Live tickets: `ticketUpdated`, one ticket's screen (the customer's or staff's), as orderUpdated is built
(graph.realtime.subscriptions): commerce announces a change on commit, `publish_ticket_change` (connected in
graph.apps) sends a small message to the ticket's group on the Channels layer, and each subscription loads the
ticket it sends, batched with every other delivery in flight in the process (graph.realtime.batches).

Who may follow is checked once, when the subscription starts: its customer's account, staff, or the holder of
one of its tokens (commerce.support.services.may_follow); a refusal is FORBIDDEN, as for orders.
"""
from collections.abc import AsyncGenerator

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from commerce.support import models, services
from graph.core.context import viewer
from graph.core.errors import ApiError
from graph.realtime.batches import BatchLoader
from graph.realtime.publisher import send_to_groups
from graph.support import Ticket, ticket_id

TICKET_MESSAGE = "ticket.changed"


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def publish_ticket_change(sender, ticket_id: int, **kwargs) -> None:
    """Receiver of commerce.support.signals.ticket_changed (connected in graph.apps)."""
    send_to_groups([ticket_group(ticket_id)], {"type": TICKET_MESSAGE, "ticket_id": ticket_id})


def _tickets(ticket_ids: list[int]) -> dict[int, models.Ticket]:
    """The tickets as they are now, with their messages and orders, in three queries for any number."""
    rows = models.Ticket.objects.filter(pk__in=ticket_ids).select_related("order").prefetch_related("messages")
    return {ticket.pk: ticket for ticket in rows}


_ticket_loader = BatchLoader(_tickets)  # every delivery in flight in the process, fetched together


@strawberry.type
class TicketSubscription:
    @strawberry.subscription(description="One ticket, for its customer, staff, or whoever holds its `token`: its "
                                         "current state first, then again after every change.")
    async def ticket_updated(self, info: Info, id: strawberry.ID,
                             token: str | None = None) -> AsyncGenerator[Ticket, None]:
        pk = ticket_id(id)
        async with info.context.ws.listen_to_channel(TICKET_MESSAGE, groups=[ticket_group(pk)]) as messages:
            first = await _ticket_loader.load(pk)  # after joining: nothing after it can be missed
            if first is None or not await _may_follow(info, first, token):
                raise ApiError("No such ticket, or not one you may follow.", code="FORBIDDEN")
            yield first
            async for _ in messages:
                ticket = await _ticket_loader.load(pk)
                if ticket is not None:
                    yield ticket


async def _may_follow(info: Info, ticket: models.Ticket, token: str | None) -> bool:
    return await sync_to_async(services.may_follow)(viewer(info), ticket, token=token)
