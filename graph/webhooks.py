"""Outbound webhooks in the contract (staff only): endpoints, their recent deliveries, and the mutations that
manage them; and the `data` of every delivery, answered by running a fixed document against the schema as staff.

Running the API's own query means an integration receives exactly what the API answers staff about the order or
product (the same fields, money and IDs), and no second serializer drifts from it. The schema run is the
queries' own (no transport extensions: nobody's throttle or cache is involved), with an in-memory staff
principal. The order's `token` is left out: it is a bearer secret for its customer, of no use to integrations.
"""
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache

import strawberry
import strawberry_django
from django.contrib.auth import get_user_model
from strawberry import relay
from strawberry.types import Info
from strawberry_django.relay import DjangoListConnection as Connection

from commerce.orders.models import OrderEvent
from commerce.webhooks import models, services
from graph.core.context import Context, require_staff, viewer_is_staff
from graph.core.ids import decode_id
from graph.core.payloads import UserError, given, staff_write, user_errors
from graph.core.types import DECIMAL, GuardedNode, ModelField, connection, payload_field

WebhookEventType = strawberry.enum(Enum("WebhookEventType", {e: e for e in models.WebhookEvent.values}),
                                   description="What a webhook endpoint can be told about.")


@strawberry_django.type(models.Delivery, name="WebhookDelivery", field_cls=ModelField)
class WebhookDelivery(GuardedNode):
    event: WebhookEventType
    status: str = strawberry_django.field(description="PENDING (its next attempt is due), SUCCEEDED or FAILED.")
    attempts: int
    response_status: int | None = strawberry_django.field(description="The last attempt's HTTP status, if any.")
    created_at: datetime

    @classmethod
    def visible(cls, info: Info):
        found = models.Delivery.objects.all()
        return found if viewer_is_staff(info) else found.none()


@strawberry_django.type(models.Webhook, name="Webhook", field_cls=ModelField)
class Webhook(GuardedNode):
    url: str
    is_active: bool
    deliveries: Connection[WebhookDelivery] = connection(description="Newest first.")

    @strawberry_django.field(only=["events"])
    def events(self) -> list[WebhookEventType]:
        return [WebhookEventType(e) for e in self.events]

    @classmethod
    def visible(cls, info: Info):
        found = models.Webhook.objects.all()
        return found if viewer_is_staff(info) else found.none()


@strawberry.input(description="url and events are required on create; absent fields stay as they are on update.")
class WebhookInput:
    url: str | None = strawberry.UNSET
    events: list[WebhookEventType] | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET


@strawberry.type
class WebhookPayload:
    webhook: Webhook | None = payload_field()
    secret: str | None = strawberry.field(
        default=None, description="Only from webhookCreate and webhookRotateSecret: shown this once.")
    errors: list[UserError]


CONVERT = {"events": lambda events: None if events is None else [e.value for e in events]}


@strawberry.type
class WebhookQuery:
    @connection(Connection[Webhook], description="Staff only; newest first, each with its recent deliveries.")
    def webhooks(self, info: Info) -> Iterable[Webhook]:
        require_staff(info)
        return models.Webhook.objects.all()


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Staff. Returns the signing secret, this once.")
    def webhook_create(self, info: Info, input: WebhookInput) -> WebhookPayload:
        return _with_secret(info, lambda: services.create_webhook(**given(input, **CONVERT)))

    @strawberry.mutation(description="Staff. Absent fields stay as they are; isActive: true turns it back on.")
    def webhook_update(self, info: Info, id: strawberry.ID, input: WebhookInput) -> WebhookPayload:
        return staff_write(info, WebhookPayload, "webhook", lambda: services.update_webhook(
            decode_id(id, Webhook, argument="id"), given(input, **CONVERT)))

    @strawberry.mutation(description="Staff. Its deliveries and their log go with it.")
    def webhook_delete(self, info: Info, id: strawberry.ID) -> WebhookPayload:
        return staff_write(info, WebhookPayload, "webhook",
                           lambda: services.delete_webhook(decode_id(id, Webhook, argument="id")))

    @strawberry.mutation(description="Staff. The same delivery (same id and body) sent again now, then retried "
                                     "as a new one would be.")
    def webhook_redeliver(self, info: Info, delivery_id: strawberry.ID) -> WebhookPayload:
        staff = require_staff(info)
        with user_errors(WebhookPayload) as result:
            result.webhook = services.redeliver(decode_id(delivery_id, WebhookDelivery, argument="deliveryId"),
                                                actor=staff).webhook
        return result.payload

    @strawberry.mutation(description="Staff. A new secret, returned this once; the old one keeps signing beside "
                                     "it (both `v1=` values) for WEBHOOK_SECRET_OVERLAP_SECONDS.")
    def webhook_rotate_secret(self, info: Info, id: strawberry.ID) -> WebhookPayload:
        return _with_secret(info, lambda: services.rotate_secret(decode_id(id, Webhook, argument="id")))


def _with_secret(info: Info, write) -> WebhookPayload:
    require_staff(info)
    with user_errors(WebhookPayload) as result:
        result.webhook, result.secret = write()
    return result.payload


# The data of deliveries ---------------------------------------------------------------------------------------

MONEY = "{ amount currency }"
ADDRESS = "{ firstName lastName line1 line2 city postalCode countryCode phone }"
DOCUMENT = f"""
query WebhookData($id: ID!) {{
  node(id: $id) {{
    ... on Order {{
      id number status paymentStatus email createdAt
      lines {{ id productName variantName sku quantity unitPrice {MONEY} total {MONEY} variant {{ id }} }}
      subtotal {MONEY} discount {MONEY} shipping {MONEY} tax {MONEY} total {MONEY} refundedTotal {MONEY}
      shippingAddress {ADDRESS} billingAddress {ADDRESS}
      carrier trackingNumber trackingUrl
      events {{ type status paymentStatus message createdAt }}
    }}
    ... on Product {{
      id slug name description isPublished createdAt category {{ id slug name }}
      variants {{ id sku name price {MONEY} compareAtPrice {MONEY} quantityAvailable isAvailable
                  attributes {{ name value }} }}
    }}
    ... on ProductVariant {{
      id sku name price {MONEY} compareAtPrice {MONEY} quantityAvailable isAvailable
      product {{ id slug name }}
    }}
  }}
}}
"""
# Apart: its `status` (ReturnStatus) would conflict with the Order's in one selection.
RETURN_DOCUMENT = f"""
query WebhookReturn($id: ID!) {{
  node(id: $id) {{
    ... on Return {{
      id status reason createdAt refund {MONEY}
      lines {{ quantity orderLine {{ id sku productName variantName quantity unitPrice {MONEY} }} }}
    }}
  }}
}}
"""
NODE_TYPES = {"order": "Order", "product": "Product", "variant": "ProductVariant"}


def render_webhook_data(sender, subject: str, subject_id: int, **kwargs) -> dict | None:
    """Receiver of commerce.webhooks.signals.render_requested (connected in graph.apps)."""
    if subject == "return_request":
        return return_request_data(subject_id)
    if subject not in NODE_TYPES:
        return None
    global_id = relay.to_base64(NODE_TYPES[subject], subject_id)
    return _query_as_staff(global_id) or {"id": global_id}  # gone since (a deleted product): its ID is the news


def return_request_data(event_id: int) -> dict | None:
    """RETURN_REQUESTED: the order, the return as the API answers it (lines and quantities, reason), and the
    request's event."""
    event = OrderEvent.objects.filter(pk=event_id).first()
    if event is None:
        return None
    order_return = (_query_as_staff(relay.to_base64("Return", event.order_return_id), RETURN_DOCUMENT)
                    if event.order_return_id else None)
    return {**render_webhook_data(None, "order", event.order_id), "return": order_return,
            "event": {"type": event.type, "message": event.message, "createdAt": event.created_at.isoformat()}}


def _query_as_staff(global_id: str, document: str = DOCUMENT) -> dict | None:
    result = _data_schema().execute_sync(document, variable_values={"id": global_id},
                                         context_value=Context(user=_system_staff()))
    if result.errors:
        raise RuntimeError(f"The webhook data query failed: {result.errors}")
    return result.data["node"]


@cache
def _data_schema() -> strawberry.Schema:
    from graph.schema import Optimizer, Query  # the assembled queries; graph.schema imports this module

    return strawberry.Schema(query=Query, scalar_overrides={Decimal: DECIMAL}, extensions=[Optimizer])


def _system_staff():
    """A staff principal that exists only in memory: nobody signs in as it, and it reads what staff read."""
    user = get_user_model()(is_staff=True, is_active=True)
    user._must_set_up_two_factor = False
    return user
