"""Account emails and token housekeeping."""
from django.dispatch import receiver
from dramatiq_crontab import cron

from commerce.accounts import notifications, tokens, verification
from commerce.accounts.signals import (
    account_registered,
    email_change_requested,
    email_confirmation_requested,
    password_reset_requested,
)
from tasks.jobs import job


@job
def send_welcome_email(user_id: int) -> None:
    notifications.send_welcome(user_id)


@job
def send_password_reset_email(email: str, request_id: str) -> None:
    notifications.send_password_reset(email, request_id)


@job
def send_email_confirmation(email: str, request_id: str) -> None:
    notifications.send_email_confirmation(email, request_id)


@job
def send_email_change_emails(user_id: int, new_email: str, request_id: str) -> None:
    notifications.send_email_change(user_id, new_email, request_id)


@cron("17 3 * * *")
@job
def purge_expired_tokens() -> None:
    tokens.purge_expired()
    verification.purge_expired()


@receiver(account_registered)
def _welcome(sender, user_id: int, **kwargs) -> None:
    send_welcome_email.send(user_id)


@receiver(password_reset_requested)
def _password_reset(sender, email: str, request_id: str, **kwargs) -> None:
    send_password_reset_email.send(email, request_id)


@receiver(email_confirmation_requested)
def _email_confirmation(sender, email: str, request_id: str, **kwargs) -> None:
    send_email_confirmation.send(email, request_id)


@receiver(email_change_requested)
def _email_change(sender, user_id: int, new_email: str, request_id: str, **kwargs) -> None:
    send_email_change_emails.send(user_id, new_email, request_id)
