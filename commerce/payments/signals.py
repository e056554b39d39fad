"""What the payments domain announces (on commit)."""
from django.dispatch import Signal

webhook_received = Signal()  # event_pk: a new provider event was recorded and waits to be processed
stray_payment = Signal()  # payment_id: money arrived for an order that cannot take it, to be refunded
