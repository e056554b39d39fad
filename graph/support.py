"""The support part of the contract: tickets, their messages, and the customer's and staff's mutations (the live
feed of one ticket, `ticketUpdated`, is graph.realtime.tickets').

Who may see a ticket is commerce.support.services' rule (its customer's account, staff, or the holder of one of
its tokens); every field that reaches a ticket asks it.
"""
from datetime import datetime
from enum import Enum

import strawberry
import strawberry_django
from django.conf import settings
from strawberry import relay
from strawberry.types import Info

from commerce.support import models, services
from graph.core.context import refuse_over_get, require_user, viewer
from graph.core.cursors import keyset_cursor, make_keyset_cursor
from graph.core.errors import ApiError, BadUserInput
from graph.core.ids import decode_id
from graph.core.payloads import UserError, user_errors
from graph.core.types import GuardedNode, ModelField, local_id_field, payload_field, planned
from graph.orders import Order

TicketStatus = strawberry.enum(Enum("TicketStatus", {s: s for s in models.TicketStatus.values}))


@strawberry_django.type(models.TicketMessage, name="TicketMessage", field_cls=ModelField)
class TicketMessage:
    id: strawberry.ID = local_id_field("TicketMessage")
    author: str = strawberry_django.field(field_name="author_name", description="A name both sides see.")
    from_staff: bool
    body: str = strawberry_django.field(description="Plain text.")
    created_at: datetime


@strawberry_django.type(models.Ticket, name="Ticket", field_cls=ModelField)
class Ticket(GuardedNode):
    subject: str
    status: TicketStatus
    order: Order | None
    messages: list[TicketMessage] = strawberry_django.field(description="Oldest first.")
    created_at: datetime

    @classmethod
    def visible(cls, info: Info):
        return services.visible_tickets(viewer(info))


@strawberry.type(name="TicketConnection")
class TicketConnection(relay.Connection[Ticket]):
    """Newest first, paged by keyset (the cursor carries the last ticket's id): a page deep in the list is an
    index range read, and tickets opened meanwhile shift nothing."""


@strawberry.type
class TicketPayload:
    ticket: Ticket | None = payload_field()
    errors: list[UserError]


ORDER = "ID:DESC"  # the one order of the list, named in its cursors


def _page_size(first: int | None) -> int:
    if first is None:
        return settings.GRAPHQL_DEFAULT_PAGE_SIZE
    if first < 0:
        raise BadUserInput("Argument 'first' must be a non-negative integer.", argument="first")
    if first > settings.GRAPHQL_MAX_PAGE_SIZE:
        raise ApiError(f"Argument 'first' is {first}, over the maximum page size of {settings.GRAPHQL_MAX_PAGE_SIZE}.",
                       code="PAGE_SIZE_EXCEEDED", maximum=settings.GRAPHQL_MAX_PAGE_SIZE, requested=first)
    return first


def _after(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    keyset = keyset_cursor(cursor)
    if keyset is None or keyset.order != ORDER:
        raise BadUserInput("Argument 'after' is not a cursor of this list.", argument="after")
    return keyset.pk


def ticket_id(id: strawberry.ID) -> int:
    return decode_id(id, Ticket, argument="id")


@strawberry.type
class SupportQuery:
    @strawberry.field(description="The signed-in customer's tickets; staff: every ticket. Newest first.")
    def tickets(self, info: Info, first: int | None = None, after: str | None = None,
                status: list[TicketStatus] | None = None) -> TicketConnection:
        size, after_pk = _page_size(first), _after(after)
        rows = services.visible_tickets(require_user(info))
        if status:
            rows = rows.filter(status__in=[s.value for s in status])
        if after_pk is not None:
            rows = rows.filter(pk__lt=after_pk)
        page = list(planned(rows.order_by("-pk"), Ticket, info)[:size + 1])
        edges = [relay.Edge(cursor=make_keyset_cursor(ORDER, None, ticket.pk), node=ticket) for ticket in page[:size]]
        return TicketConnection(edges=edges, page_info=relay.PageInfo(
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=after_pk is not None, has_next_page=len(page) > size))

    @strawberry_django.field(description="Its customer's account, staff, or with `token` (a guest's, from the "
                                         "ticket's emails; sent with POST).")
    def ticket(self, info: Info, id: strawberry.ID, token: str | None = None) -> Ticket | None:
        if token is not None:
            refuse_over_get(info, "token")
        return services.tickets_reached(viewer(info), ticket_id(id), token=token)


@strawberry.type
class SupportMutation:
    @strawberry.mutation(description="Signed in, optionally about an order of yours (or one whose `token` you give); "
                                     "as a guest, about the order whose `token` you give.")
    def ticket_create(self, info: Info, subject: str, body: str, order_id: strawberry.ID | None = None,
                      token: str | None = None) -> TicketPayload:
        with user_errors(TicketPayload) as result:
            order = None if order_id is None else decode_id(order_id, Order, argument="orderId")
            result.ticket = services.open_ticket(viewer(info), subject=subject, body=body, order_id=order,
                                                 order_token=token, client_ip=info.context.client_ip)
        return result.payload

    @strawberry.mutation(description="The customer (or the ticket's `token`) or staff. A reply to a CLOSED ticket "
                                     "reopens it.")
    def ticket_reply(self, info: Info, id: strawberry.ID, body: str, token: str | None = None) -> TicketPayload:
        with user_errors(TicketPayload) as result:
            result.ticket = services.reply(viewer(info), ticket_id(id), body=body, token=token,
                                           client_ip=info.context.client_ip)
        return result.payload

    @strawberry.mutation(description="The customer (or the ticket's `token`) or staff.")
    def ticket_close(self, info: Info, id: strawberry.ID, token: str | None = None) -> TicketPayload:
        with user_errors(TicketPayload) as result:
            result.ticket = services.close(viewer(info), ticket_id(id), token=token)
        return result.payload
