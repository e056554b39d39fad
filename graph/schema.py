"""The one schema: each domain's Query (and later Mutation and Subscription) merged, with the extensions that
enforce the contract's conventions on every operation.

The extensions' order matters: an operation is measured and traced as a whole, refusals included (Observed, one
span per operation, no per-field hook); errors are coded first and last (ErrorCodes wraps the rest); the document's
size and shape are capped before validation (Limits), in allow-list mode only registered documents pass
(AllowList), and only then are parsing and validation looked up in their caches
(DocumentCache, CachedValidation); the caller is known (Authentication) and page sizes settled
(PageArguments) before the cost is computed and paid for (Metering), all before any resolver runs; only then may
an anonymous public query be answered from the shared cache (ResponseCache), so a HIT is paid for like a run.
"""
from decimal import Decimal

import strawberry
from django.conf import settings
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from graph.accounts import AccountMutation, AccountQuery
from graph.carts import CartMutation, CartQuery
from graph.catalog import CatalogQuery
from graph.catalog_media import CatalogMediaMutation
from graph.catalog_staff import CatalogStaffMutation
from graph.core.types import DECIMAL
from graph.invoices import InvoiceMutation
from graph.node import NodeQuery
from graph.orders import OrderMutation, OrderQuery
from graph.payments import PaymentMutation
from graph.realtime.subscriptions import OrderSubscription
from graph.realtime.tickets import TicketSubscription
from graph.reports import ReportQuery
from graph.reviews import ReviewMutation
from graph.sales import SaleMutation, SaleQuery
from graph.shipments import ShipmentMutation
from graph.shop import ShopQuery
from graph.support import SupportMutation, SupportQuery
from graph.transport.auth import Authentication
from graph.transport.caching import HttpCaching
from graph.transport.documents import CachedValidation, DocumentCache
from graph.transport.limits import Limits
from graph.transport.masking import ErrorCodes, log_rejected
from graph.transport.metering import Metering
from graph.transport.observed import Observed
from graph.transport.pagination import PageArguments
from graph.transport.persisted import AllowList
from graph.transport.response_cache import ResponseCache
from graph.transport.streaming import stream_operation
from graph.webhooks import WebhookMutation, WebhookQuery
from graph.wishlist import WishlistMutation


class Optimizer(DjangoOptimizerExtension):
    """strawberry-django's optimizer without its per-field `resolve` hook.

    Any extension with a `resolve` makes Strawberry wrap every field of every object, which was most of the
    catalog page's time. The hook only optimizes querysets returned by plain Strawberry fields; ours come from
    strawberry-django fields, which optimize in their own get_queryset (the optimizer is still set for the
    operation in on_execute), and `node`/`nodes` go through strawberry-django's node resolution, which does too.
    """

    resolve = SchemaExtension.resolve


Query = merge_types("Query", (ShopQuery, NodeQuery, CatalogQuery, AccountQuery, CartQuery, OrderQuery, ReportQuery,
                              SaleQuery, SupportQuery, WebhookQuery))
Mutation = merge_types(
    "Mutation", (AccountMutation, CartMutation, PaymentMutation, OrderMutation, ReviewMutation, WishlistMutation,
                 CatalogStaffMutation, CatalogMediaMutation, SaleMutation, ShipmentMutation, SupportMutation,
                 InvoiceMutation, WebhookMutation)
)
Subscription = merge_types("Subscription", (OrderSubscription, TicketSubscription))


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        log_rejected(errors)

    async def stream(self, *args, **kwargs):
        """What websockets run: each operation answered as over HTTP (graph.transport.streaming)."""
        return await stream_operation(self, super().stream, *args, **kwargs)


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    scalar_overrides={Decimal: DECIMAL},
    config=StrawberryConfig(
        relay_max_results=settings.GRAPHQL_MAX_PAGE_SIZE,
        disable_field_suggestions=True,
        batching_config={"max_operations": settings.GRAPHQL_MAX_BATCH} if settings.GRAPHQL_MAX_BATCH > 1 else None,
    ),
    extensions=[Observed, ErrorCodes, Limits, AllowList, lambda: DocumentCache(maxsize=256), lambda: CachedValidation(maxsize=256),
                HttpCaching, Authentication, PageArguments, Metering, ResponseCache, Optimizer],
)
