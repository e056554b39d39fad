"""Top-level errors carry the contract's `extensions.code`, and nothing internal reaches a client.

One schema extension tags every error where it arises (parsing, validation, execution), so that no resolver
builds an error shape of its own; unexpected exceptions are logged with a request id and, with DEBUG off,
masked to "Unexpected error." with only that id. Suggestions ("Did you mean ...?") are cut from every
message, so that a client cannot map a schema whose introspection is off by guessing names; with
GRAPHQL_GENERIC_VALIDATION_MESSAGES (on when DEBUG is off) a refusal that would name a type of the schema the
document does not name itself says it generically (`without_type_names`), which is how clairvoyance recovers a
schema from validation messages. Strawberry's own log line for each refused document is cut short
(`log_rejected`), so hostile documents cannot flood the logs.
"""
import logging
import re

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
        result.errors = [finished(error, self.execution_context.schema) for error in result.errors]


def finished(error: GraphQLError, schema=None) -> GraphQLError:
    """An error as a client may see it: coded, without suggestions, masked when unexpected, and without the names
    of `schema`'s types where that is asked for. ErrorCodes applies it to an operation's answer; a websocket's
    results are sent before that hook runs, so graph.transport.streaming applies it to each of them too."""
    error = _coded(error)
    if schema is None or not settings.GRAPHQL_GENERIC_VALIDATION_MESSAGES:
        return error
    return without_type_names(error, set(schema._schema.type_map))


def _coded(error: GraphQLError) -> GraphQLError:
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


BAD_VALUES = (StrawberryInputCoercionError, GlobalIDValueError)


def _is_bad_value(error: GraphQLError) -> bool:
    """A client's value refused while it was coerced, before any field ran (no path): a scalar's refusal (a bad
    Decimal, DateTime or ID), or graphql-core's own (a variable of the wrong type or shape, an Int beyond 32 bits,
    a required variable missing).

    graphql-core wraps its refusal of a variable in a second GraphQLError whose `original_error` is the first, so
    the chain is followed to what is behind it: a GraphQLError with nothing behind it is graphql-core refusing
    the value, a ValueError or ArithmeticError a scalar refusing it; any other exception is a scalar's bug.
    """
    if isinstance(error, BAD_VALUES):
        return True
    if error.path is not None:
        return False
    cause = error.original_error
    while isinstance(cause, GraphQLError) and not isinstance(cause, BAD_VALUES):
        if cause.original_error is None:
            return True
        cause = cause.original_error
    return isinstance(cause, BAD_VALUES + (ValueError, ArithmeticError))


def without_suggestions(error: GraphQLError) -> GraphQLError:
    """Cut graphql-core's "Did you mean ...?" (fields, arguments, types, enum values, input fields)."""
    message, _, _ = error.message.partition(" Did you mean ")
    error.message = message
    return error


NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
# graphql-core's messages that name schema types (3.3), said without them. A message the table does not know
# that still names a type the document does not is replaced by GENERIC, per code.
QUOTED = r"[^']*"  # inside quotes
WITHOUT_TYPES = [(re.compile(pattern.replace("QUOTED", QUOTED)), generic) for pattern, generic in [
    (r"Cannot query field '(?P<field>QUOTED)' on type 'QUOTED'\.", "Cannot query field '{field}' here."),
    (r"Field '(?P<field>QUOTED)' of type 'QUOTED' must have (a selection of subfields|at least one field selected)\.",
     "Field '{field}' must have a selection of subfields."),
    (r"Field '(?P<field>QUOTED)' must not have a selection since type 'QUOTED' has no subfields\.",
     "Field '{field}' must not have a selection."),
    (r"Unknown argument '(?P<argument>QUOTED)' on field '(?:[^'.]*\.)?(?P<field>QUOTED)'\.",
     "Unknown argument '{argument}' on field '{field}'."),
    (r"Argument '(?:[^'.]*\.)?(?P<field>[^'(]*)\(QUOTED\)' of type 'QUOTED' is required, but it was not provided\.",
     "Field '{field}' is missing a required argument."),
    (r"Variable '(?P<variable>QUOTED)' of type '(?P<type>QUOTED)' used in position expecting type 'QUOTED'\.",
     "Variable '{variable}' of type '{type}' is used where another type is expected."),
    (r"Fragment (?:'QUOTED' )?cannot be spread here as objects of type 'QUOTED' can never be of type '(?P<type>QUOTED)'\.",
     "Fragment on type '{type}' cannot be spread here."),
    (r"Fields '(?P<field>QUOTED)' conflict because .*",
     "Fields '{field}' conflict. Use different aliases on the fields to fetch both if this was intentional."),
]]
GENERIC = {
    "GRAPHQL_VALIDATION_FAILED": "The document does not fit the schema here.",
    "BAD_USER_INPUT": "This value is not valid here.",
}


def without_type_names(error: GraphQLError, type_names: set[str]) -> GraphQLError:
    """A refusal before execution (validation, a literal or variable a scalar refused) that names a type of the
    schema the document does not name, said without it; a new error, since validation errors are cached.

    Names the client wrote (a fragment's type, a variable's declared type) are its own guesses, and stay.
    """
    code = (error.extensions or {}).get("code")
    if error.path is not None or code not in GENERIC:
        return error
    guessed = set(NAME.findall(error.source.body)) if error.source is not None else set()
    unknown = type_names - guessed
    if not unknown & set(NAME.findall(error.message)):
        return error
    message = GENERIC[code]
    for pattern, generic in WITHOUT_TYPES:
        match = pattern.fullmatch(error.message)
        if match and not unknown & set(NAME.findall(generic.format(**match.groupdict()))):
            message = generic.format(**match.groupdict())
            break
    return GraphQLError(message, error.nodes, error.source, error.positions, None, error.original_error,
                        error.extensions)


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
