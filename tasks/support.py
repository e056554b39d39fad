"""Support ticket emails: each message to the other side, by a job per message (retried; sent once per key)."""
from django.dispatch import receiver

from commerce.support import notifications
from commerce.support.signals import ticket_changed
from tasks.jobs import job


@job
def send_ticket_message_emails(message_id: int) -> None:
    notifications.send_message_emails(message_id)


@receiver(ticket_changed)
def _message_emails(sender, ticket_id: int, message_id: int | None, **kwargs) -> None:
    if message_id is not None:  # a close alone mails no one; the screens hear of it live
        send_ticket_message_emails.send(message_id)
