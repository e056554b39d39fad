"""Who is calling: the user behind `Authorization: Bearer <access token>`.

The Authentication extension resolves the caller before anything executes. No header is an anonymous caller
(a session cookie does not sign anyone in here, so no cross-site request can act as a user). An expired or
forged token refuses the whole operation with UNAUTHENTICATED and `extensions.reason`, except for the
operations that exist to get a new token (AUTH_EXEMPT), which ignore the header so that a client's refresh
link works while it still sends the stale token. A websocket signs in at connection_init instead
(graph.transport.consumers).

The caller is also who the audit log names for what the operation changes (commerce.audit.acting_as).
"""
from django.contrib.auth.models import AnonymousUser
from graphql import ExecutionResult, GraphQLError, OperationType, get_operation_ast
from strawberry.extensions import SchemaExtension

from commerce import audit
from commerce.accounts.tokens import TokenError, user_for_access_token
from graph.transport import request_ids
from graph.transport.documents import root_fields

AUTH_EXEMPT = frozenset(
    {"accountRegister", "tokenCreate", "tokenCreateFromIdToken", "tokenRefresh", "passwordResetRequest", "passwordResetConfirm",
     "accountConfirmEmail", "accountResendConfirmation", "__typename"}
)


class Authentication(SchemaExtension):
    def on_execute(self):
        context = self.execution_context
        if context.result is None and context.context.request is not None:
            try:
                context.context.user = self._caller(context.context.header("Authorization") or "")
            except TokenError as bad:
                error = GraphQLError(bad.message, extensions={"code": "UNAUTHENTICATED", "reason": bad.code})
                context.result = ExecutionResult(data=None, errors=[error])
        with audit.acting_as(context.context.user, source="api", request_id=request_ids.current()):
            yield

    def _caller(self, authorization: str):
        token = bearer_token(authorization)
        if token is None or self._exempt():
            return AnonymousUser()
        return user_for_access_token(token)

    def _exempt(self) -> bool:
        context = self.execution_context
        operation = get_operation_ast(context.graphql_document, context.operation_name)
        return (
            operation is not None
            and operation.operation == OperationType.MUTATION
            and root_fields(operation.selection_set, context.graphql_document) <= AUTH_EXEMPT
        )


def bearer_token(authorization: str) -> str | None:
    """The access token in an Authorization value (a header, or connection_init's payload on a websocket);
    None when there is none, TokenError when it is not `Bearer <token>`."""
    if not authorization:
        return None
    scheme, _, token = str(authorization).strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("The Authorization header must be 'Bearer <access token>'.")
    return token.strip()
