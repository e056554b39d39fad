"""The one schema: each domain's Query (and later Mutation and Subscription) merged, with the extensions that
enforce the contract's conventions on every operation."""
import strawberry
from django.conf import settings
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from graph.catalog import CatalogQuery
from graph.errors import ErrorCodes
from graph.node import NodeQuery
from graph.pagination import PageArguments
from graph.shop import ShopQuery

Query = merge_types("Query", (ShopQuery, NodeQuery, CatalogQuery))

schema = strawberry.Schema(
    query=Query,
    config=StrawberryConfig(relay_max_results=settings.GRAPHQL_MAX_PAGE_SIZE),
    extensions=[ErrorCodes, PageArguments, DjangoOptimizerExtension],
)
