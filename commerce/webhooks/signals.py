"""What the webhooks app announces, and the one question it asks of the API layer."""
from django.dispatch import Signal

deliveries_due = Signal()  # delivery_ids: recorded (or redelivered) and to be attempted now; sent on commit
webhook_disabled = Signal()  # webhook_id: turned off for failing too long; staff are to be told
# subject, subject_id -> dict | None: the entity as the API answers staff about it (graph.webhooks answers)
render_requested = Signal()
