"""The one schema: each domain's Query (and later Mutation and Subscription) merged, with the extensions that
enforce the contract's conventions on every operation."""
import strawberry
from django.conf import settings
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from graph.accounts import AccountMutation, AccountQuery
from graph.auth import Authentication
from graph.carts import CartMutation, CartQuery
from graph.catalog import CatalogQuery
from graph.catalog_staff import CatalogStaffMutation
from graph.errors import ErrorCodes
from graph.node import NodeQuery
from graph.orders import OrderMutation, OrderQuery
from graph.pagination import PageArguments
from graph.realtime import OrderSubscription
from graph.reports import ReportQuery
from graph.reviews import ReviewMutation
from graph.shop import ShopQuery


class Optimizer(DjangoOptimizerExtension):
    """strawberry-django's optimizer without its per-field `resolve` hook.

    Any extension with a `resolve` makes Strawberry wrap every field of every object, which was most of the
    catalog page's time. The hook only optimizes querysets returned by plain Strawberry fields; ours come from
    strawberry-django fields, which optimize in their own get_queryset (the optimizer is still set for the
    operation in on_execute), and `node`/`nodes` go through strawberry-django's node resolution, which does too.
    """

    resolve = SchemaExtension.resolve


class DocumentCache(ParserCache):
    """Strawberry's ParserCache, except that a document that does not parse is left to Strawberry's own parse.

    ParserCache parses inside the extension hook, where a syntax error escapes Strawberry's handling of it (the
    answer lost its GRAPHQL_PARSE_FAILED code). Failed parses are not cached, so a broken document is simply
    parsed again where its error is reported as usual.
    """

    def on_parse(self):
        context = self.execution_context
        if context.query:
            try:
                context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
            except GraphQLError:
                pass
        yield


Query = merge_types("Query", (ShopQuery, NodeQuery, CatalogQuery, AccountQuery, CartQuery, OrderQuery, ReportQuery))
Mutation = merge_types(
    "Mutation", (AccountMutation, CartMutation, OrderMutation, ReviewMutation, CatalogStaffMutation)
)
Subscription = merge_types("Subscription", (OrderSubscription,))

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(relay_max_results=settings.GRAPHQL_MAX_PAGE_SIZE),
    # Storefronts send the same few documents again and again (every tracking screen the same subscription):
    # parsing and validating each once per process is most of what subscribing costs. Bounded LRU caches.
    extensions=[ErrorCodes, Authentication, lambda: DocumentCache(maxsize=256), lambda: ValidationCache(maxsize=256),
                PageArguments, Optimizer],
)
