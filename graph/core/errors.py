"""The top-level errors resolvers raise: an operation refused as a whole, with the contract's `extensions.code`."""
from graphql import GraphQLError


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


def has_code(error: GraphQLError) -> bool:
    return bool((error.extensions or {}).get("code"))
