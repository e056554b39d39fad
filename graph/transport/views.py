"""`POST /graphql/`, and `GET` for queries only (a mutation over GET is a 405); GraphiQL when on.

What the transport decides, before the schema sees an operation:
- Every answer is JSON in the GraphQL response shape, refusals too: what Strawberry refuses as a plain-text
  HTTPException (a body that is not JSON, no query, an unknown operation) is answered by `refused` with a
  coded error (BAD_REQUEST, GRAPHQL_PARSE_FAILED, METHOD_NOT_ALLOWED) and its status. A body over the cap
  never gets here: project.gate refuses it before it is read.
- CSRF: exempt from Django's token check, since clients authenticate with a bearer token, not a cookie. A
  POST must say `Content-Type: application/json`, which a browser cannot send cross-site without a CORS
  preflight, or carry a header a cross-site form cannot set (`apollo-require-preflight` or
  `x-apollo-operation-name`, as Apollo's csrfPrevention asks); anything else is refused with BAD_REQUEST. So a
  multipart upload (the GraphQL multipart request spec, for `productMediaUpload`) needs that header: a
  cross-site form can send multipart/form-data, never a custom header.
- Multipart bodies have the upload cap (project.gate), but the operation inside one (its `operations` and `map`
  fields) is held to the JSON body's cap, REQUEST_MAX_BODY_BYTES: only files may be large.
- Batches (a JSON array of operations) are refused with BATCH_NOT_ALLOWED unless GRAPHQL_MAX_BATCH allows
  that many.
- Persisted queries (graph.transport.persisted): a hash becomes its document before execution, and a document sent
  with its hash is registered after it ran (a hit writes nothing). A GET carrying only a hash is an operation, not a request for
  GraphiQL.
- Answers are `Cache-Control: no-store` unless graph.transport.caching marked them public, and an error that reaches
  the answer without a code is masked (graph.transport.masking).
"""
import json

from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http.multipartparser import MultiPartParserError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt
from graphql import GraphQLError
from strawberry.django.views import GraphQLView
from strawberry.exceptions import MissingQueryError
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult

from graph.core.context import Context
from graph.core.errors import has_code
from graph.schema import schema
from graph.transport import buckets, persisted
from graph.transport.masking import masked

PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")


class Refused(Exception):
    """A request refused before any operation ran, answered as `refused` says."""

    def __init__(self, status: int, message: str, code: str, **extensions):
        super().__init__(message)
        self.status, self.message, self.code, self.extensions = status, message, code, extensions


class ApiView(GraphQLView):
    def dispatch(self, request, *args, **kwargs):
        """Strawberry's dispatch, with its plain-text refusals answered in the GraphQL shape."""
        try:
            if request.method == "POST" and not _preflighted(request):
                raise Refused(400, CSRF_REFUSAL, "BAD_REQUEST")
            return self.run(request=request)
        except HTTPException as refusal:
            return refused(request, _as_refusal(refusal))
        except Refused as refusal:
            return refused(request, refusal)
        except RequestDataTooBig:  # only where project.gate is not in front (Django's test client)
            maximum = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return refused(request, Refused(413, too_large_message(maximum), "REQUEST_TOO_LARGE", maximum=maximum))

    def parse_http_body(self, request):
        """Strawberry's reading of the request; its adapter decodes the body as UTF-8 and lets a failure out."""
        try:
            return super().parse_http_body(request)
        except UnicodeDecodeError:
            raise Refused(400, "The body is not UTF-8.", "BAD_REQUEST") from None

    def parse_multipart(self, request):
        """Strawberry's reading of a multipart request, with every way it can be malformed answered as a
        refusal (a body Django cannot parse, a `map` that is not an object of path lists, a path that names no
        variable), and its operation held to the JSON body's cap."""
        try:
            fields, files = request.post_data, request.files
        except (MultiPartParserError, SuspiciousOperation):  # too many fields or files among them
            raise Refused(400, "The multipart body could not be read.", "BAD_REQUEST") from None
        operations, files_map = fields.get("operations", "{}"), fields.get("map", "{}")
        maximum = settings.REQUEST_MAX_BODY_BYTES
        if len(operations) + len(files_map) > maximum:
            raise Refused(413, too_large_message(maximum), "REQUEST_TOO_LARGE", maximum=maximum)
        operations, files_map = self.parse_json(operations), self.parse_json(files_map)
        if not isinstance(files_map, dict) or not all(
                isinstance(paths, list) and all(isinstance(path, str) for path in paths) for paths in files_map.values()):
            raise Refused(400, "The multipart `map` must be an object of lists of paths.", "BAD_REQUEST")
        if any(name not in files for name in files_map):
            raise Refused(400, "A file the multipart `map` names is missing from the body.", "BAD_REQUEST")
        try:
            return replace_placeholders_with_files(operations, files_map, files)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            raise Refused(400, "A path of the multipart `map` names no variable.", "BAD_REQUEST") from None

    def decode_json(self, data):
        """Strawberry's JSON decoding, refusing what it would let through to fail as a 500: nesting deeper than
        Python's recursion limit, and a top level that is not an object (or, for a batch, an array of objects)."""
        try:
            decoded = super().decode_json(data)
        except RecursionError:
            raise Refused(400, "The JSON is nested too deep.", "BAD_REQUEST") from None
        items = decoded if isinstance(decoded, list) else [decoded]
        if not all(isinstance(item, dict) for item in items):
            raise Refused(400, "Expected a JSON object (or an array of objects for a batch).", "BAD_REQUEST")
        return decoded

    def _validate_batch_request(self, request_data, protocol):
        """Strawberry's check of a batch, answered with the contract's code."""
        if len(request_data) > settings.GRAPHQL_MAX_BATCH or settings.GRAPHQL_MAX_BATCH <= 1:
            maximum = max(1, settings.GRAPHQL_MAX_BATCH)
            raise Refused(400, f"Batches of operations are not allowed (at most {maximum} per request).",
                          "BATCH_NOT_ALLOWED", maximum=maximum, value=len(request_data))
        super()._validate_batch_request(request_data, protocol)

    def get_context(self, request, response) -> Context:
        return Context.for_request(request, response)

    def should_render_graphql_ide(self, request) -> bool:
        """Without GraphiQL, a browser's GET is a request without a query (400), not Strawberry's 404."""
        return (self.graphql_ide is not None and super().should_render_graphql_ide(request)
                and "extensions" not in request.query_params)

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


CSRF_REFUSAL = ("This request was refused to prevent cross-site request forgery: send Content-Type: "
                "application/json, or an apollo-require-preflight header.")


def too_large_message(maximum: int) -> str:
    return f"The request body is over the limit of {maximum} bytes."


def _as_refusal(refusal: HTTPException) -> Refused:
    """Strawberry's HTTPException with the contract's code: the cause tells a mutation over GET (405) and a
    document that names no runnable operation from a request that is malformed as such."""
    cause = refusal.__cause__
    if refusal.status_code == 405 or isinstance(cause, InvalidOperationTypeError):
        return Refused(405, refusal.reason, "METHOD_NOT_ALLOWED")
    if isinstance(cause, CannotGetOperationTypeError):
        return Refused(400, refusal.reason, "GRAPHQL_PARSE_FAILED")
    if isinstance(cause, MissingQueryError):
        return Refused(400, "No GraphQL query found in the request.", "BAD_REQUEST")
    return Refused(refusal.status_code, refusal.reason, "BAD_REQUEST")


def refused(request, refusal: Refused) -> HttpResponse:
    """A refusal as every /graphql/ answer is shaped: one coded error, and what the refusal cost."""
    error = GraphQLError(refusal.message, extensions={"code": refusal.code, **refusal.extensions})
    body = {"errors": [error.formatted], "extensions": {"cost": refusal_cost(request)}}
    response = HttpResponse(json.dumps(body), status=refusal.status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    if refusal.status == 405:
        response["Allow"] = "GET, POST"  # what /graphql/ takes; a mutation needs POST
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
            multipart_uploads_enabled=True,  # productMediaUpload; the CSRF rule above still applies
        )
    )
