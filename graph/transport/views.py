"""`POST /graphql/`, and `GET` for queries only (Strawberry refuses mutations over GET); GraphiQL when on.

What the transport decides, before the schema sees an operation:
- CSRF: exempt from Django's token check, since clients authenticate with a bearer token, not a cookie. A
  POST must say `Content-Type: application/json`, which a browser cannot send cross-site without a CORS
  preflight, or carry a header a cross-site form cannot set (`apollo-require-preflight` or
  `x-apollo-operation-name`, as Apollo's csrfPrevention asks); anything else is refused with 400.
- Batches (a JSON array of operations) are refused with BATCH_NOT_ALLOWED unless GRAPHQL_MAX_BATCH allows
  that many.
- Persisted queries (graph.transport.persisted): a hash becomes its document before execution, and a document sent
  with its hash is registered after it ran (a hit writes nothing). A GET carrying only a hash is an operation, not a request for
  GraphiQL.
- Answers are `Cache-Control: no-store` unless graph.transport.caching marked them public, and an error that reaches
  the answer without a code is masked (graph.transport.masking).
"""
import json

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt
from graphql import GraphQLError
from strawberry.django.views import GraphQLView
from strawberry.types import ExecutionResult

from graph.core.context import Context
from graph.core.errors import has_code
from graph.schema import schema
from graph.transport import buckets, persisted
from graph.transport.masking import masked

PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")


class _BatchRefused(Exception):
    def __init__(self, size: int):
        self.size = size


class ApiView(GraphQLView):
    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and not _preflighted(request):
            return HttpResponse(
                "This request was refused to prevent cross-site request forgery: send Content-Type: "
                "application/json, or an apollo-require-preflight header.",
                status=400, content_type="text/plain",
            )
        try:
            return super().dispatch(request, *args, **kwargs)
        except _BatchRefused as refused:
            maximum = max(1, settings.GRAPHQL_MAX_BATCH)
            error = GraphQLError(
                f"Batches of operations are not allowed (at most {maximum} per request).",
                extensions={"code": "BATCH_NOT_ALLOWED", "maximum": maximum, "value": refused.size},
            )
            body = {"errors": [error.formatted], "extensions": {"cost": refusal_cost(request)}}
            return HttpResponse(json.dumps(body), status=400, content_type="application/json")

    def _validate_batch_request(self, request_data, protocol):
        """Strawberry's check of a batch, answered with the contract's code."""
        if len(request_data) > settings.GRAPHQL_MAX_BATCH or settings.GRAPHQL_MAX_BATCH <= 1:
            raise _BatchRefused(len(request_data))
        super()._validate_batch_request(request_data, protocol)

    def get_context(self, request, response) -> Context:
        return Context.for_request(request, response)

    def should_render_graphql_ide(self, request) -> bool:
        return super().should_render_graphql_ide(request) and "extensions" not in request.query_params

    def render_graphql_ide(self, request):
        """GraphiQL with its files from this server (graph/static/graphiql), not from unpkg.com: it works offline."""
        return HttpResponse(render_to_string("graph/graphiql.html", request=request))

    def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        sent_text = request_data.query is not None  # else a hash, found in the store: nothing to register
        try:
            request_data = persisted.resolve(request_data)
        except persisted.PersistedQueryError as refused:
            return ExecutionResult(data=None, errors=[refused], extensions={"cost": refusal_cost(request)})
        result = super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)
        if sent_text:
            persisted.remember(request_data, ran=result.data is not None)
        return result

    def process_result(self, request, result):
        """The last stop of an HTTP answer: an error that reached it without a code (an exception in an
        extension's hook, which Strawberry reports with its own text) is masked like any unexpected error."""
        if result.errors:
            result.errors = [error if has_code(error) else masked(error) for error in result.errors]
        return super().process_result(request, result)

    def create_response(self, response_data, sub_response):
        response = super().create_response(response_data, sub_response)
        response.setdefault("Cache-Control", "no-store")
        return response


def refusal_cost(request) -> dict:
    """extensions.cost of an answer refused before the schema saw it: nothing ran, one point is taken, from the
    address's bucket (the bearer token is only read later, by graph.transport.auth)."""
    client = buckets.client_of(Context.for_request(request, None), signed_in=False)
    status = buckets.take(buckets.cost_bucket(), client, 1, force=True)
    report = {"requestedQueryCost": 0, "actualQueryCost": None}
    if status is not None:
        report["throttleStatus"] = status.as_extension()
    return report


def _preflighted(request) -> bool:
    essence = (request.content_type or "").split(";")[0].strip().lower()
    return essence == "application/json" or any(request.headers.get(name) for name in PREFLIGHT_HEADERS)


def graphql_view():
    return csrf_exempt(
        ApiView.as_view(
            schema=schema,
            graphql_ide="graphiql" if settings.GRAPHIQL_ENABLED else None,
            allow_queries_via_get=True,
        )
    )
