"""Top-level errors carry the contract's `extensions.code`, and nothing internal reaches a client.

One schema extension tags every error where it arises (parsing, validation, execution), so that no resolver
builds an error shape of its own; unexpected exceptions are logged with a request id and, with DEBUG off,
masked to "Unexpected error." with only that id.
"""
import logging
import uuid

from django.conf import settings
from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

logger = logging.getLogger("graph.errors")


class ApiError(GraphQLError):
    """An operation refused as a whole, with the contract's top-level code and extra `extensions`.

    A GraphQLError, so that its code travels with it however the error is reported: the ErrorCodes extension
    sees operations over HTTP, but a subscription's errors go straight to the socket.
    """

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, code: str | None = None, **extensions):
        if code is not None:
            self.code = code
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"


def with_code(error: GraphQLError, code: str, **extensions) -> GraphQLError:
    error.extensions = {**(error.extensions or {}), "code": code, **extensions}
    return error


class ErrorCodes(SchemaExtension):
    def on_parse(self):
        yield
        for error in self.execution_context.pre_execution_errors or []:
            with_code(error, "GRAPHQL_PARSE_FAILED")

    def on_validate(self):
        yield
        for error in self.execution_context.pre_execution_errors or []:
            if not (error.extensions or {}).get("code"):
                # A literal a scalar could not parse (a bad Decimal or ID) is bad input, not a bad document.
                with_code(error, "BAD_USER_INPUT" if _is_bad_value(error) else "GRAPHQL_VALIDATION_FAILED")

    def on_operation(self):
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [self._finish(error) for error in result.errors]

    def _finish(self, error: GraphQLError) -> GraphQLError:
        if (error.extensions or {}).get("code"):
            return error
        original = error.original_error
        if isinstance(original, ApiError):
            return with_code(error, original.code, **original.extensions)
        if original is None or _is_bad_value(error):
            # Without an exception behind it, an execution error is graphql-core refusing a variable's value.
            return with_code(error, "BAD_USER_INPUT")
        return self._internal(error)

    def _internal(self, error: GraphQLError) -> GraphQLError:
        request_id = uuid.uuid4().hex
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
