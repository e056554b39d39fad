"""`Cache-Control: public` on the answers a CDN may share: anonymous catalog queries over GET, when opted into.

Off by default (GRAPHQL_PUBLIC_MAX_AGE_SECONDS=0): a CDN keeps an answer for max-age whatever is written
meanwhile, so turning it on accepts that much staleness at the CDN only. The server's own response cache
(graph.transport.response_cache) is never stale and serves the same queries without it.

An answer is public only when it was asked for with GET (a URL, so a CDN can key it; APQ hashes keep that URL
short), without an Authorization header, for a query whose root fields are all in PUBLIC_FIELDS (what every
anonymous caller sees alike), and came back without errors. It is cached for GRAPHQL_PUBLIC_MAX_AGE_SECONDS
and varies on Authorization. Every other answer is `no-store` (graph.transport.views sets that default).
"""
from django.conf import settings
from django.utils.cache import patch_vary_headers
from graphql import OperationType, get_operation_ast
from strawberry.extensions import SchemaExtension

from graph.transport.documents import root_fields

PUBLIC_FIELDS = frozenset(
    {"shop", "products", "product", "categories", "category", "productAttributes", "node", "nodes", "shippingMethods",
     "__typename"}
)


class HttpCaching(SchemaExtension):
    def on_operation(self):
        yield
        context = self.execution_context
        request = getattr(context.context, "request", None)
        response = getattr(context.context, "response", None)
        if not hasattr(request, "META") or response is None or settings.GRAPHQL_PUBLIC_MAX_AGE <= 0:
            return
        if request.method != "GET" or request.headers.get("Authorization"):
            return
        result = context.result
        if result is None or result.errors or context.graphql_document is None:
            return
        operation = get_operation_ast(context.graphql_document, context.operation_name)
        if operation is None or operation.operation != OperationType.QUERY:
            return
        if root_fields(operation.selection_set, context.graphql_document) <= PUBLIC_FIELDS:
            response["Cache-Control"] = f"public, max-age={settings.GRAPHQL_PUBLIC_MAX_AGE}"
            patch_vary_headers(response, ["Authorization"])
