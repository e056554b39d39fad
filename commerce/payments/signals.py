"""What the payments domain announces (on commit)."""
from django.dispatch import Signal

webhook_received = Signal()  # event_pk: a new provider event was recorded and waits to be processed
stray_payment = Signal()  # payment_id: money arrived for an order that cannot take it, to be refunded
payment_polling = Signal()  # payment_id, attempt: a gateway asked for this payment to be read until it is final
