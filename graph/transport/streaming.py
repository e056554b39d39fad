"""Operations over a websocket, answered as they are over HTTP.

Strawberry runs every websocket operation through `Schema.stream`, on the server's event loop, and sends each
result to the socket as soon as it is made. Three things differ from HTTP unless something sees to them, and
graph.schema.Schema.stream hands each operation to `stream_operation` here, which does:

- The caller. A socket signs in once, at `connection_init`. Before each operation its sign-in is checked again
  (`tokens.standing_sign_in`): signing out, a password change or a deactivated account refuses the operation
  with UNAUTHENTICATED, and the user is reloaded, so a changed staff flag counts at once. Operations already
  running go on; the socket follows the sign-in, not the access token's fifteen minutes.
- Queries and mutations. Their resolvers are Django code written for a request's thread; on the event loop the
  ORM refuses to run. They are executed as HTTP executes them, whole, on Django's sync thread. Subscriptions
  stream on the loop (their resolvers are async).
- Errors. ErrorCodes codes and masks an operation's errors when the operation ends, after a stream has already
  sent them: each result is finished here before it leaves (coded, masked when unexpected), and a refusal
  raised by an extension before execution (a cap, the cost, the allow-list, a page size) becomes the
  operation's error message instead of escaping the stream.
"""
from contextlib import aclosing, contextmanager
from contextvars import ContextVar

from asgiref.sync import sync_to_async
from graphql import GraphQLError
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from commerce.accounts import tokens
from graph.core.errors import ApiError
from graph.transport import request_ids
from graph.transport.masking import finished

SUBSCRIPTIONS_ONLY = (OperationType.SUBSCRIPTION,)
_extensions: ContextVar[dict | None] = ContextVar("operation_extensions", default=None)


@contextmanager
def operation_extensions(message: dict):
    """While a socket's handler starts the operation in `message`: its `extensions`, for `stream_operation`, and
    its own request id (graph.transport.request_ids).

    Strawberry passes an operation only its query, variables and name; the task it starts for it copies the
    context variables of the moment, so the operation, and no other, sees its own extensions.
    """
    payload = message.get("payload")
    token = _extensions.set(payload.get("extensions") if isinstance(payload, dict) else None)
    try:
        with request_ids.assigned():  # an operation is a socket's request: its masked errors share one id
            yield
    finally:
        _extensions.reset(token)


async def stream_operation(schema, stream, query, variable_values=None, context_value=None, root_value=None,
                           operation_name=None, **kwargs):
    """`stream` is Strawberry's own Schema.stream, bound; the arguments are its arguments. The socket's context
    becomes the operation's own (graph.core.context), with the operation's `extensions`."""
    extensions = _extensions.get()
    context_value = context_value.for_operation(extensions if isinstance(extensions, dict) else None)
    refusal = await _signed_out(context_value)
    if refusal is not None:
        return _answered(_once(PreExecutionError(data=None, errors=[refusal])), schema)

    async def results():
        streamed = await stream(query, variable_values, context_value, root_value, operation_name,
                                allowed_operation_types=SUBSCRIPTIONS_ONLY, **kwargs)
        async with aclosing(streamed):
            async for result in streamed:
                if _not_a_subscription(result):
                    yield await sync_to_async(schema.execute_sync)(
                        query, variable_values=variable_values, context_value=context_value,
                        root_value=root_value, operation_name=operation_name)
                    return
                yield result

    return _answered(results(), schema)


async def _signed_out(context) -> ApiError | None:
    if context.sign_in is None:
        return None
    sign_in = await sync_to_async(tokens.standing_sign_in)(context.sign_in)
    context.user = sign_in.user if sign_in is not None else None
    if sign_in is None:
        return ApiError("This sign-in has ended: connect again with a new access token.",
                        code="UNAUTHENTICATED", reason="TOKEN_INVALID")
    return None


def _not_a_subscription(result) -> bool:
    return isinstance(result, PreExecutionError) and any(
        isinstance(error.original_error, InvalidOperationTypeError) for error in result.errors or ())


def _as_sent(result: ExecutionResult) -> ExecutionResult:
    """A refusal before execution (no data, no error on a field) goes to the socket as the operation's `error`
    message, as the stream sends its own; anything else as `next`."""
    if result.data is None and result.errors and all(error.path is None for error in result.errors):
        return PreExecutionError(data=None, errors=result.errors, extensions=result.extensions)
    return result


async def _once(result):
    yield result


async def _answered(results, schema=None):
    async with aclosing(results):
        try:
            async for result in results:
                if isinstance(result, ExecutionResult) and result.errors:
                    result.errors = [finished(error, schema) for error in result.errors]
                    result = _as_sent(result)
                yield result
        except GraphQLError as refused:
            yield PreExecutionError(data=None, errors=[finished(refused, schema)])
