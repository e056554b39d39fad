"""Caps on the shape of a document, checked before graphql-core validates it, so a hostile one is cheap to refuse.

Its size comes first (GRAPHQL_MAX_DOCUMENT_BYTES, refused as MAX_TOKENS_EXCEEDED with the bytes), since one
comment is one token however long; the limit admits any document of GRAPHQL_MAX_TOKENS tokens as clients print
them. Tokens (GRAPHQL_MAX_TOKENS; comments count) are counted by a regular expression that stops at the limit,
before graphql-core lexes anything; the parser keeps its own limit as a backstop.

Then one pass over the parsed document counts, before the standard validation rules run (some of them are
quadratic in the document): fields, duplicates included (MAX_FIELDS_EXCEEDED),
aliases (MAX_ALIASES_EXCEEDED), directives on any one field or fragment (MAX_DIRECTIVES_EXCEEDED), the
depth of each operation through its fragments (MAX_DEPTH_EXCEEDED; under `__schema`/`__type` the cap is
GRAPHQL_MAX_INTROSPECTION_DEPTH, as the standard introspection query is 15 deep), and the input values,
literal or variable: a list over GRAPHQL_MAX_INPUT_LIST_LENGTH items, a string over
GRAPHQL_MAX_STRING_LENGTH characters, or one with a NUL character (which PostgreSQL cannot store) is
BAD_USER_INPUT. Each refusal of a cap says the limit (`maximum`) and what the document had (`value`).
Introspection is refused by a validation rule unless GRAPHQL_INTROSPECTION.
"""
import re

from django.conf import settings
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from graph.core.errors import ApiError, with_code

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
TOKENS_EXCEEDED = "Document contains more than"
# GraphQL's lexical tokens, strings and comments whole; an unterminated string is left to the parser.
TOKEN = re.compile(
    r'"""(?:\\"""|[^"]|"(?!""))*"""|"(?:\\.|[^"\\\n\r])*"|#[^\n\r]*|\.\.\.|[!$&():=@\[\]{|}]'
    r"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[_A-Za-z][_0-9A-Za-z]*"
)


class Limits(SchemaExtension):
    def on_parse(self):
        context = self.execution_context
        _check_size(context.query)
        maximum = settings.GRAPHQL_MAX_TOKENS
        if context.query and len(context.query) > maximum and _has_more_tokens(context.query, maximum):
            # Raised here, before parsing: Strawberry answers with this error (it carries its code).
            raise ApiError(f"The document has more than {maximum} tokens.", code="MAX_TOKENS_EXCEEDED",
                           maximum=maximum, value=maximum + 1)
        context.parse_options["max_tokens"] = maximum
        yield
        for error in context.pre_execution_errors or []:
            if TOKENS_EXCEEDED in error.message:
                maximum = settings.GRAPHQL_MAX_TOKENS
                error.message = f"The document has more than {maximum} tokens."
                with_code(error, "MAX_TOKENS_EXCEEDED", maximum=maximum, value=maximum + 1)

    def on_validate(self):
        context = self.execution_context
        refusal = check(context.graphql_document, context.variables)
        if refusal is not None:
            context.pre_execution_errors = [refusal]  # Strawberry then skips the standard validation
        elif not settings.GRAPHQL_INTROSPECTION:
            context.validation_rules = (*context.validation_rules, NoSchemaIntrospectionCustomRule)
        yield


def _check_size(query: str | None) -> None:
    maximum = settings.GRAPHQL_MAX_DOCUMENT_BYTES
    if query and len(query) > maximum // 4:  # fewer characters than that cannot make that many bytes
        size = len(query.encode("utf-8", "surrogatepass"))
        if size > maximum:
            # Raised before parsing: Strawberry answers with this error (it carries its code).
            raise ApiError(f"The document is {size} bytes long, over the maximum of {maximum}.",
                           code="MAX_TOKENS_EXCEEDED", maximum=maximum, value=size)


def _has_more_tokens(query: str, maximum: int) -> bool:
    for count, _ in enumerate(TOKEN.finditer(query), 1):
        if count > maximum:
            return True
    return False


class Refused(Exception):
    def __init__(self, code: str, message: str, maximum: int | None = None, value: int | None = None, node=None):
        limit = {} if maximum is None else {"maximum": maximum, "value": value}
        self.error = with_code(GraphQLError(message, nodes=node), code, **limit)


def check(document, variables: dict | None) -> GraphQLError | None:
    """The first cap the document or its variables break, as the error to answer with; None if none."""
    try:
        _Counter().count(document)
        _check_depth(document)
        _check_input(variables or {})
    except Refused as refused:
        return refused.error
    return None


class _Counter:
    """Fields, aliases and directives of the whole document, as written (each fragment once)."""

    def __init__(self):
        self.fields = self.aliases = 0

    def count(self, document) -> None:
        for definition in document.definitions:
            self._directives(definition)
            self._selections(getattr(definition, "selection_set", None))
            for variable in getattr(definition, "variable_definitions", None) or ():
                if variable.default_value is not None:
                    _check_literal(variable.default_value)

    def _selections(self, selection_set) -> None:
        for selection in selection_set.selections if selection_set else ():
            self._directives(selection)
            if isinstance(selection, FieldNode):
                self.fields += 1
                if self.fields > settings.GRAPHQL_MAX_FIELDS:
                    maximum = settings.GRAPHQL_MAX_FIELDS
                    raise Refused("MAX_FIELDS_EXCEEDED", f"The document has more than {maximum} fields.",
                                  maximum, self.fields)
                if selection.alias is not None:
                    self.aliases += 1
                    if self.aliases > settings.GRAPHQL_MAX_ALIASES:
                        maximum = settings.GRAPHQL_MAX_ALIASES
                        raise Refused("MAX_ALIASES_EXCEEDED", f"The document has more than {maximum} aliases.",
                                      maximum, self.aliases)
                for argument in selection.arguments or ():
                    _check_literal(argument.value)
            if not isinstance(selection, FragmentSpreadNode):
                self._selections(selection.selection_set)

    def _directives(self, node) -> None:
        directives = getattr(node, "directives", None) or ()
        maximum = settings.GRAPHQL_MAX_DIRECTIVES
        if len(directives) > maximum:
            raise Refused("MAX_DIRECTIVES_EXCEEDED", f"More than {maximum} directives on one field or fragment.",
                          maximum, len(directives), node)
        for directive in directives:
            for argument in directive.arguments or ():
                _check_literal(argument.value)


def _check_depth(document) -> None:
    """The depth of each operation, through its fragments, refused as soon as a field lies too deep (each
    fragment's own height is computed once for each cap it is read under, so fragments spreading fragments
    cannot make this slow). Under `__schema` and `__type` the cap is GRAPHQL_MAX_INTROSPECTION_DEPTH, counted
    from the root, since the standard introspection query nests type references deeper (15) than any query of ours."""
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    heights: dict[tuple[str, int], int] = {}

    def refuse(depth: int, maximum: int):
        raise Refused("MAX_DEPTH_EXCEEDED", f"The operation is nested more than {maximum} deep.", maximum, depth)

    def height(selection_set, level: int, path: frozenset, maximum: int) -> int:
        """How deep this selection set goes below `level`, the depth of the field that holds it."""
        tallest = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                cap = maximum
                if selection.name.value in INTROSPECTION_FIELDS:
                    cap = settings.GRAPHQL_MAX_INTROSPECTION_DEPTH
                if level + 1 > cap:
                    refuse(level + 1, cap)
                tallest = max(tallest, 1 + height(selection.selection_set, level + 1, path, cap))
            elif isinstance(selection, InlineFragmentNode):
                tallest = max(tallest, height(selection.selection_set, level, path, maximum))
            else:
                name = selection.name.value
                if name in path or name not in fragments:
                    continue  # a cycle or an unknown fragment: validation reports it
                if (name, maximum) not in heights:
                    heights[(name, maximum)] = height(fragments[name].selection_set, level, path | {name}, maximum)
                elif level + heights[(name, maximum)] > maximum:
                    refuse(level + heights[(name, maximum)], maximum)
                tallest = max(tallest, heights[(name, maximum)])
        return tallest

    for definition in document.definitions:
        if definition.kind == "operation_definition":
            height(definition.selection_set, 0, frozenset(), settings.GRAPHQL_MAX_DEPTH)


def _check_literal(value) -> None:
    if isinstance(value, StringValueNode):
        _check_string(value.value)
    elif isinstance(value, ListValueNode):
        _check_list(len(value.values))
        for item in value.values:
            _check_literal(item)
    elif isinstance(value, ObjectValueNode):
        for item in value.fields:
            _check_literal(item.value)


def _check_input(value) -> None:
    if isinstance(value, str):
        _check_string(value)
    elif isinstance(value, list):
        _check_list(len(value))
        for item in value:
            _check_input(item)
    elif isinstance(value, dict):
        for item in value.values():
            _check_input(item)


def _check_string(value: str) -> None:
    if "\x00" in value:  # PostgreSQL cannot store it: refused here rather than failing in the database
        raise Refused("BAD_USER_INPUT", "A string input contains a NUL character.")
    maximum = settings.GRAPHQL_MAX_STRING_LENGTH
    if len(value) > maximum:
        raise Refused("BAD_USER_INPUT", f"A string input is {len(value)} characters long, over {maximum}.",
                      maximum, len(value))


def _check_list(length: int) -> None:
    maximum = settings.GRAPHQL_MAX_INPUT_LIST_LENGTH
    if length > maximum:
        raise Refused("BAD_USER_INPUT", f"A list input has {length} items, over {maximum}.", maximum, length)
