"""What the support domain announces (on commit, through commerce.events.announce)."""
from django.dispatch import Signal

# ticket_id, message_id (the new message, or None when only the status changed: a close)
ticket_changed = Signal()
