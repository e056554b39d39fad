"""The emails of a ticket: each message goes to the other side, once (jobs call these by id and may run twice).

A customer's message goes to SUPPORT_EMAIL (no one when unset: staff then read tickets in the admin), linking the
ticket's admin page. Staff's reply goes to the ticket's email, linking the customer's ticket screen; a guest's link
carries a token minted for that email (commerce.support.keys). The message that opens a ticket also sends the
customer an acknowledgement with that link, which is how a guest learns the token at all.
"""
import base64
import logging
from urllib.parse import quote

from django.conf import settings
from django.db import transaction

from commerce.notifications.emails import already_sent, send_once
from commerce.support import keys
from commerce.support.models import Ticket, TicketMessage

logger = logging.getLogger("commerce.support")


def send_message_emails(message_id: int) -> None:
    message = TicketMessage.objects.select_related("ticket").filter(pk=message_id).first()
    if message is None:
        return
    ticket = message.ticket
    if message.from_staff:
        _to_customer(f"ticket-message:{message.pk}", "ticket_reply", ticket, message)
        return
    if ticket.messages.order_by("pk").values_list("pk", flat=True).first() == message.pk:
        _to_customer(f"ticket-opened:{ticket.pk}", "ticket_opened", ticket, message)
    if settings.SUPPORT_EMAIL:
        send_once(f"ticket-message:{message.pk}", "ticket_to_staff", settings.SUPPORT_EMAIL,
                  {"ticket": ticket, "message": message, "link": _admin_link(ticket)})
    else:
        logger.info("SUPPORT_EMAIL is not set: ticket #%s's message %s is mailed to no one", ticket.pk, message.pk)


def _to_customer(key: str, template: str, ticket: Ticket, message: TicketMessage) -> None:
    with transaction.atomic():  # the token minted for this email is kept only if the email goes
        if already_sent(key):
            return
        send_once(key, template, ticket.email, {"ticket": ticket, "message": message, "link": customer_link(ticket)})


def customer_link(ticket: Ticket) -> str:
    """The customer's ticket screen: the account's, or for a guest (no account) a link with a new token."""
    if ticket.user_id is not None:
        return settings.SUPPORT_TICKET_URL.replace("{id}", _public_id(ticket))
    return (settings.SUPPORT_GUEST_TICKET_URL.replace("{id}", _public_id(ticket))
            .replace("{token}", keys.mint(ticket.pk)))


def _admin_link(ticket: Ticket) -> str:
    return settings.SUPPORT_ADMIN_TICKET_URL.replace("{id}", str(ticket.pk))


def _public_id(ticket: Ticket) -> str:
    """The ticket's ID as the API shows it (a Relay global ID: base64 of "Ticket:<pk>"), quoted for a URL."""
    return quote(base64.b64encode(f"Ticket:{ticket.pk}".encode()).decode(), safe="")
