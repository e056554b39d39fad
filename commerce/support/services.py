"""Support tickets: opening one, replying, closing, and who may do which. Every write of the API and the admin
goes through here, so each announces `ticket_changed` on commit (emails by jobs, live screens by the publisher).

Status moves: a new ticket is OPEN; a customer's reply makes it WAITING_ON_STAFF, staff's WAITING_ON_CUSTOMER;
either side closes it. A reply to a CLOSED ticket reopens it (as help desks do when a customer answers a
solved ticket: the conversation goes on rather than a new ticket losing its history).
"""
import re

from django.conf import settings
from django.db import transaction

from commerce.accounts import throttle
from commerce.accounts.models import User
from commerce.errors import DomainError, NotFound, Throttled
from commerce.events import announce
from commerce.orders import selectors as orders
from commerce.orders.models import Order
from commerce.permissions import is_signed_in, is_staff, is_visible_to, visible_to
from commerce.support import keys
from commerce.support.models import Ticket, TicketMessage, TicketStatus
from commerce.support.signals import ticket_changed


class SupportError(DomainError):
    pass


# --- Who may see a ticket


def visible_tickets(viewer):
    """Tickets a caller reaches without a token: their own; staff all."""
    return visible_to(Ticket.objects.all(), viewer)


def may_follow(viewer, ticket: Ticket, *, token: str | None = None) -> bool:
    """Its customer's account, staff, or whoever holds one of the ticket's tokens (a guest, from its emails)."""
    return is_visible_to(ticket, viewer) or (bool(token) and keys.opens(ticket.pk, token))


def tickets_reached(viewer, ticket_id: int, *, token: str | None = None):
    """The ticket as a queryset (for the API to plan its loading), empty when the caller may not see it."""
    reached = visible_tickets(viewer).filter(pk=ticket_id)
    if token and not reached.exists() and keys.opens(ticket_id, token):
        return Ticket.objects.filter(pk=ticket_id)
    return reached


def ticket_for_update(viewer, ticket_id: int, *, token: str | None = None) -> Ticket:
    """The ticket, locked for this transaction, or NOT_FOUND whether it is missing or someone else's."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None or not may_follow(viewer, ticket, token=token):
        raise NotFound("No such ticket.", field=["id"])
    return ticket


# --- Writing


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str, *, limit: int, field: str) -> str:
    """Plain text as stored: line ends made \\n, control characters dropped, trimmed; REQUIRED when nothing is
    left, INVALID over `limit` characters."""
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise SupportError("This cannot be empty.", code="REQUIRED", field=[field])
    if len(text) > limit:
        raise SupportError(f"At most {limit} characters.", field=[field])
    return text


def _count(scope: str, subject: str, limit: int, *, field: str) -> None:
    """Count a customer's write against `limit` in SUPPORT_THROTTLE_WINDOW; THROTTLED past it."""
    window = settings.SUPPORT_THROTTLE_WINDOW
    if throttle.count(scope, subject, window) > limit:
        seconds = int(window.total_seconds())
        raise Throttled(f"Too many messages. Try again in {seconds} seconds.", retry_after=seconds, field=[field])


LIMITS = {  # (per customer, per IP) in SUPPORT_THROTTLE_WINDOW
    "ticket": ("SUPPORT_MAX_TICKETS_PER_CUSTOMER", "SUPPORT_MAX_TICKETS_PER_IP"),
    "reply": ("SUPPORT_MAX_REPLIES_PER_CUSTOMER", "SUPPORT_MAX_REPLIES_PER_IP"),
}


def _throttle_address(kind: str, client_ip: str | None, *, field: str) -> None:
    """Counted first, before anything is looked up (a wrong order token is an attempt too)."""
    _count(f"support-{kind}-ip", throttle.network(client_ip), getattr(settings, LIMITS[kind][1]), field=field)


def _throttle_customer(kind: str, customer: str, *, field: str) -> None:
    _count(f"support-{kind}", customer, getattr(settings, LIMITS[kind][0]), field=field)


def _order_of(viewer, order_id: int | None, order_token: str | None) -> Order | None:
    """The order a ticket is about: one the caller may act on (their own, any for staff, or by its token)."""
    if order_id is None and not order_token:
        return None
    if order_id is None:
        order = orders.orders_by_token(order_token).first()
    else:
        order = orders.order_for(viewer, order_id, token=order_token)
    if order is None:
        raise NotFound("No such order.", field=["orderId" if order_id is not None else "token"])
    return order


def _author_name(user: User | None, *, staff: bool, fallback: str) -> str:
    if staff:
        return user.first_name or f"{settings.SHOP_NAME} support"
    name = user.get_full_name() if user is not None else ""
    return name or fallback


@transaction.atomic
def open_ticket(viewer, *, subject: str, body: str, order_id: int | None = None, order_token: str | None = None,
                client_ip: str | None = None) -> Ticket:
    """A customer opens a ticket, signed in or as a guest. A guest must name an order by its token: the ticket is
    then about that order, and its replies go to the order's email."""
    subject = clean_text(subject, limit=settings.SUPPORT_SUBJECT_MAX_LENGTH, field="subject")
    body = clean_text(body, limit=settings.SUPPORT_BODY_MAX_LENGTH, field="body")
    user = viewer if is_signed_in(viewer) else None
    if user is None and not order_token:
        raise SupportError("Sign in, or give the order's token.", code="REQUIRED", field=["token"])
    counted = not is_staff(user)
    if counted:
        _throttle_address("ticket", client_ip, field="subject")
    order = _order_of(user, order_id, order_token)
    email = user.email if user is not None else order.email
    if counted:
        _throttle_customer("ticket", f"user:{user.pk}" if user else f"email:{email}", field="subject")
    ticket = Ticket.objects.create(user=user, email=email, order=order, subject=subject)
    _post(ticket, author=user, body=body, staff=False, opening=True)
    return ticket


@transaction.atomic
def reply(viewer, ticket_id: int, *, body: str, token: str | None = None, client_ip: str | None = None) -> Ticket:
    """Add a message: staff's when staff write (and the ticket then waits on the customer), else the customer's."""
    ticket = ticket_for_update(viewer, ticket_id, token=token)
    return post_reply(ticket, viewer, body=body, client_ip=client_ip)


def post_reply(ticket: Ticket, viewer, *, body: str, client_ip: str | None = None) -> Ticket:
    """`reply` for a ticket already found and locked (the admin's reply form finds it itself)."""
    body = clean_text(body, limit=settings.SUPPORT_BODY_MAX_LENGTH, field="body")
    staff = is_staff(viewer)
    if not staff:
        _throttle_address("reply", client_ip, field="body")
        _throttle_customer("reply", f"user:{viewer.pk}" if is_signed_in(viewer) else f"email:{ticket.email}",
                           field="body")
    _post(ticket, author=viewer if is_signed_in(viewer) else None, body=body, staff=staff)
    return ticket


def _post(ticket: Ticket, *, author: User | None, body: str, staff: bool, opening: bool = False) -> TicketMessage:
    message = TicketMessage.objects.create(
        ticket=ticket, author=author, from_staff=staff, body=body,
        author_name=_author_name(author, staff=staff, fallback=ticket.email))
    if not opening:
        ticket.status = TicketStatus.WAITING_ON_CUSTOMER if staff else TicketStatus.WAITING_ON_STAFF
    ticket.staff_spoke_last = staff
    ticket.save(update_fields=["status", "staff_spoke_last", "updated_at"])
    announce(ticket_changed, ticket_id=ticket.pk, message_id=message.pk)
    return message


@transaction.atomic
def close(viewer, ticket_id: int, *, token: str | None = None) -> Ticket:
    """Either side closes; closing a closed ticket changes nothing (and announces nothing)."""
    return close_ticket(ticket_for_update(viewer, ticket_id, token=token))


def close_ticket(ticket: Ticket) -> Ticket:
    if ticket.status != TicketStatus.CLOSED:
        ticket.status = TicketStatus.CLOSED
        ticket.save(update_fields=["status", "updated_at"])
        announce(ticket_changed, ticket_id=ticket.pk, message_id=None)
    return ticket
