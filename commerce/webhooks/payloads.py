"""The body of a delivery: `{id, event, createdAt, data}`.

`data` is the entity as the API's own staff query answers it. commerce cannot import the API, so it asks
(`render_requested`) and graph.webhooks answers by running a fixed GraphQL document against the schema as staff:
one shape for integrations and for the API, never a second serializer to keep in step. A subject no answer
covers (none connected) becomes `{"pk": ...}`, which is all the delivery knows.
"""
import json

from commerce.webhooks.models import Delivery
from commerce.webhooks.signals import render_requested


def render(delivery: Delivery) -> bytes:
    body = {
        "id": str(delivery.pk),
        "event": delivery.event,
        "createdAt": delivery.created_at.isoformat(),
        "data": data_of(delivery.subject, delivery.subject_id),
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str).encode()


def data_of(subject: str, subject_id: int) -> dict:
    for _, answer in render_requested.send(sender=None, subject=subject, subject_id=subject_id):
        if answer is not None:
            return answer
    return {"pk": subject_id}
