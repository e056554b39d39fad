"""Page arguments as the contract has them: 20 to a page unless asked, never more than 100.

Before anything runs, every field of the document that takes `first`/`last` is checked (an oversized page is
PAGE_SIZE_EXCEEDED, a negative one or a foreign cursor BAD_USER_INPUT) and, where the client gave neither,
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
    value_from_ast_untyped,
    visit,
)
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graph.core.errors import with_code

CURSOR_PREFIX = "arrayconnection"  # strawberry's ListConnection cursors: an offset under this prefix
# The largest offset a cursor may carry: what fits a 32-bit int. Up to sys.maxsize, the offset plus the page
# overflowed the database's 64-bit OFFSET/LIMIT and surfaced as a masked 500; no shop pages this far.
MAX_CURSOR_OFFSET = 2**31 - 1


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
        for argument in node.arguments or ():
            value = value_from_ast_untyped(argument.value, self.variables)
            if value is not None and value is not Undefined:
                _check(argument, value)
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


def _check(argument: ArgumentNode, value) -> None:
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
        try:
            prefix, offset = relay.from_base64(value)
            valid = prefix == CURSOR_PREFIX and offset.isdigit() and int(offset) <= MAX_CURSOR_OFFSET
        except (ValueError, TypeError):
            valid = False
        if not valid:
            refuse("BAD_USER_INPUT", f"Argument '{name}' is not a cursor from this API.")
