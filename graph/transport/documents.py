"""Reading documents before they run: their root fields, and parses and validations cached per process.

Storefronts send the same few documents again and again (every tracking screen the same subscription), so a
document is parsed and validated once per process.
"""
from graphql import DocumentNode, FieldNode, GraphQLError, InlineFragmentNode, SelectionSetNode
from strawberry.extensions import ParserCache, ValidationCache


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


class DocumentCache(ParserCache):
    """Strawberry's ParserCache, except that a document that does not parse is left to Strawberry's own parse.

    ParserCache parses inside the extension hook, where a syntax error escapes Strawberry's handling of it (the
    answer lost its GRAPHQL_PARSE_FAILED code); failed parses are not cached, so a broken document is simply
    parsed again where its error is reported as usual.
    """

    def on_parse(self):
        context = self.execution_context
        if context.query:
            try:
                context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
            except GraphQLError:
                pass
        yield


class CachedValidation(ValidationCache):
    """Strawberry's ValidationCache, except that a document Limits already refused is not validated at all
    (ValidationCache would run the standard rules, some quadratic, and overwrite the refusal)."""

    def on_validate(self):
        if self.execution_context.pre_execution_errors:
            yield
        else:
            yield from super().on_validate()
