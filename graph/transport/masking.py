"""Top-level errors carry the contract's `extensions.code`, and nothing internal reaches a client.

One schema extension tags every error where it arises (parsing, validation, execution), so that no resolver
builds an error shape of its own; unexpected exceptions are logged with a request id and, with DEBUG off,
masked to "Unexpected error." with only that id. Suggestions ("Did you mean ...?") are cut from every
message, so that a client cannot map a schema whose introspection is off by guessing names. Strawberry's own
log line for each refused document is cut short (`log_rejected`), so hostile documents cannot flood the logs.
"""
import logging

from django.conf import settings
from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

from graph.core.errors import ApiError, has_code, with_code
from graph.transport import request_ids

logger = logging.getLogger("graph.transport.masking")
strawberry_logger = logging.getLogger("strawberry.execution")


class ErrorCodes(SchemaExtension):
    def on_parse(self):
        yield
        for error in self.execution_context.pre_execution_errors or []:
            if not has_code(error):
                with_code(error, "GRAPHQL_PARSE_FAILED")

    def on_validate(self):
        yield
        for error in self.execution_context.pre_execution_errors or []:
            without_suggestions(error)
            if not has_code(error):
                # A literal a scalar could not parse (a bad Decimal or ID) is bad input, not a bad document.
                with_code(error, "BAD_USER_INPUT" if _is_bad_value(error) else "GRAPHQL_VALIDATION_FAILED")

    def on_operation(self):
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [finished(error) for error in result.errors]


def finished(error: GraphQLError) -> GraphQLError:
    """An error as a client may see it: coded, without suggestions, and masked when unexpected. ErrorCodes applies
    it to an operation's answer; a websocket's results are sent before that hook runs, so graph.transport.streaming applies
    it to each of them too."""
    without_suggestions(error)
    if has_code(error):
        return error
    original = error.original_error
    if isinstance(original, ApiError):
        return with_code(error, original.code, **original.extensions)
    if original is None or _is_bad_value(error):
        # Without an exception behind it, an execution error is graphql-core refusing a variable's value.
        return with_code(error, "BAD_USER_INPUT")
    return masked(error)


def masked(error: GraphQLError) -> GraphQLError:
    """An unexpected error as a client may see it: logged with its stack under the request's id (the one in the
    X-Request-Id header; graph.transport.request_ids), and with DEBUG off reduced to "Unexpected error." and
    that id."""
    request_id = request_ids.current()
    logger.error(
        "Unexpected error in GraphQL operation (requestId=%s, path=%s)",
        request_id,
        error.path,
        exc_info=error.original_error,
    )
    message = error.message if settings.DEBUG else "Unexpected error."
    return GraphQLError(
        message,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )


def _is_bad_value(error: GraphQLError) -> bool:
    """A client's value that a scalar refused while it was coerced (a bad Decimal, DateTime or ID)."""
    bad_value = (StrawberryInputCoercionError, GlobalIDValueError)
    return isinstance(error, bad_value) or (
        isinstance(error.original_error, bad_value + (ValueError, ArithmeticError)) and error.path is None
    )


def without_suggestions(error: GraphQLError) -> GraphQLError:
    """Cut graphql-core's "Did you mean ...?" (fields, arguments, types, enum values, input fields)."""
    message, _, _ = error.message.partition(" Did you mean ")
    error.message = message
    return error


LOGGED_MESSAGE_LENGTH = 300


def log_rejected(errors: list[GraphQLError]) -> None:
    """Strawberry's log of errors, one short line each: the code and the message's start, never the document.

    Unexpected exceptions are left to ErrorCodes, which logs them with their stack and request id.
    """
    for error in errors:
        if error.original_error is not None and not isinstance(error.original_error, GraphQLError):
            continue
        message = error.message
        if len(message) > LOGGED_MESSAGE_LENGTH:
            message = message[:LOGGED_MESSAGE_LENGTH] + f"... ({len(error.message)} characters)"
        code = (error.extensions or {}).get("code", "")
        strawberry_logger.info("GraphQL operation refused: %s %s", code, message)
