"""Who is calling: the user behind `Authorization: Bearer <access token>`, and the role checks on fields.

The Authentication extension resolves the caller before anything executes. No header is an anonymous caller
(a session cookie does not sign anyone in here, so no cross-site request can act as a user). An expired or
forged token refuses the whole operation with UNAUTHENTICATED and `extensions.reason`, except for the
operations that exist to get a new token (AUTH_EXEMPT), which ignore the header so that a client's refresh
link works while it still sends the stale token.
"""
from django.contrib.auth.models import AnonymousUser
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from commerce.accounts.tokens import TokenError, user_for_access_token
from commerce.permissions import is_signed_in, is_staff
from graph.core import viewer
from graph.errors import ApiError

AUTH_EXEMPT = frozenset(
    {"accountRegister", "tokenCreate", "tokenRefresh", "passwordResetRequest", "passwordResetConfirm", "__typename"}
)


class Authentication(SchemaExtension):
    def on_execute(self):
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if context.result is None and request is not None and hasattr(request, "headers"):
            try:
                request.user = self._caller(request.headers.get("Authorization", ""))
            except TokenError as bad:
                error = GraphQLError(bad.message, extensions={"code": "UNAUTHENTICATED", "reason": bad.code})
                context.result = ExecutionResult(data=None, errors=[error])
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


def root_fields(selection_set: SelectionSetNode, document: DocumentNode) -> set[str]:
    return {field.name.value for field in root_field_nodes(selection_set, document)}


def root_field_nodes(selection_set: SelectionSetNode, document: DocumentNode) -> list[FieldNode]:
    """The fields at the root of an operation, through its fragments, each fragment collected once as
    graphql-core collects them (spread again, it adds nothing): fragments that spread the next one twice at
    every level would otherwise take 2 ** levels steps for a document of a kilobyte."""
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    fields, collected = [], set()
    pending = list(reversed(selection_set.selections))
    while pending:
        selection = pending.pop()
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            pending.extend(reversed(selection.selection_set.selections))
        elif selection.name.value in fragments and selection.name.value not in collected:
            collected.add(selection.name.value)
            pending.extend(reversed(fragments[selection.name.value].selection_set.selections))
    return fields


def require_user(info: Info):
    """The signed-in caller, or a top-level UNAUTHENTICATED for a field that needs one."""
    user = viewer(info)
    if not is_signed_in(user):
        raise ApiError("Sign in to do this.", code="UNAUTHENTICATED")
    return user


def require_staff(info: Info):
    """The caller if they are staff, else a top-level FORBIDDEN (the contract's error for role-gated fields)."""
    user = viewer(info)
    if not is_staff(user):
        raise ApiError("This needs a staff account.", code="FORBIDDEN")
    return user
