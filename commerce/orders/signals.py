"""What the orders domain announces (on commit, through commerce.events.announce)."""
from django.dispatch import Signal

order_placed = Signal()  # order_id
order_changed = Signal()  # order_id, event_id, user_id (the owner, or None): every OrderEvent, placement included
