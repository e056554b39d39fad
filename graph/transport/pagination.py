"""Page arguments as the contract has them: 20 to a page unless asked, never more than 100.

Before anything runs, every field of the document that takes `first`/`last` is checked (an oversized page is
PAGE_SIZE_EXCEEDED, a negative one or a foreign cursor BAD_USER_INPUT: an offset cursor anywhere, a keyset
cursor (graph.core.cursors) only on the connections that read them) and, where the client gave neither,
gets `first: 20` written into the document it executes. Doing this on the document rather than in a
connection class keeps strawberry-django's own connection type, which its optimizer needs in order to
prefetch nested pages (it recognizes that class by identity), and makes the default visible to anything that
reads the document later, such as a cost analysis.
"""
from django.conf import settings
from graphql import (
    ArgumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    IntValueNode,
    NameNode,
    TypeInfo,
    TypeInfoVisitor,
    Undefined,
    Visitor,
    get_named_type,
    value_from_ast_untyped,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graph.core.cursors import keyset_cursor, offset_cursor
from graph.core.errors import with_code

# The connections whose resolvers read keyset cursors (graph.catalog.ProductConnection); every other connection
# pages by offset and is given only offset cursors.
KEYSET_CONNECTIONS = {"ProductConnection"}


class PageArguments(SchemaExtension):
    def on_execute(self):
        context = self.execution_context
        if context.result is None and context.graphql_document is not None:
            visitor = _PageVisitor(TypeInfo(context.schema._schema), context.variables or {})
            try:
                context.graphql_document = visit(context.graphql_document, TypeInfoVisitor(visitor.type_info, visitor))
            except _Refused as refused:
                if context.operation_type == OperationType.SUBSCRIPTION:
                    raise refused.error from None  # a subscription ignores a preset result; raised, it is answered
                context.result = ExecutionResult(data=None, errors=[refused.error])
        yield


class _Refused(Exception):
    def __init__(self, error: GraphQLError):
        self.error = error


class _PageVisitor(Visitor):
    def __init__(self, type_info: TypeInfo, variables: dict):
        super().__init__()
        self.type_info = type_info
        self.variables = variables

    def enter_field(self, node: FieldNode, *_):
        field = self.type_info.get_field_def()
        if field is None or not {"first", "last"} <= set(field.args):
            return None
        given = {}
        keyset = get_named_type(field.type).name in KEYSET_CONNECTIONS
        for argument in node.arguments or ():
            value = value_from_ast_untyped(argument.value, self.variables)
            if value is not None and value is not Undefined:
                _check(argument, value, keyset=keyset)
                given[argument.name.value] = value
        if "first" in given or "last" in given:
            return None
        default = ArgumentNode(
            name=NameNode(value="first"), value=IntValueNode(value=str(settings.GRAPHQL_DEFAULT_PAGE_SIZE))
        )
        arguments = [a for a in node.arguments or () if a.name.value not in {"first", "last"}]
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=(*arguments, default),
            directives=node.directives,
            selection_set=node.selection_set,
            loc=node.loc,
        )


def _check(argument: ArgumentNode, value, *, keyset: bool) -> None:
    name, maximum = argument.name.value, settings.GRAPHQL_MAX_PAGE_SIZE

    def refuse(code: str, message: str, **extensions):
        raise _Refused(with_code(GraphQLError(message, nodes=[argument]), code, **extensions))

    if name in {"first", "last"}:
        if not isinstance(value, int) or value < 0:
            refuse("BAD_USER_INPUT", f"Argument '{name}' must be a non-negative integer.")
        if value > maximum:
            refuse(
                "PAGE_SIZE_EXCEEDED",
                f"Argument '{name}' is {value}, over the maximum page size of {maximum}.",
                maximum=maximum,
                requested=value,
            )
    elif name in {"after", "before"}:
        valid = isinstance(value, str) and (
            offset_cursor(value) is not None or (keyset and keyset_cursor(value) is not None))
        if not valid:
            refuse("BAD_USER_INPUT", f"Argument '{name}' is not a cursor from this API.")
