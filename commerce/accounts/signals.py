"""What the accounts domain announces (on commit, through commerce.events.announce)."""
from django.dispatch import Signal

account_registered = Signal()  # user_id
password_reset_requested = Signal()  # email, request_id (the email may have no account)
