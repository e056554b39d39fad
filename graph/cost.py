"""The calculated cost of an operation, from its document and variables, before any resolver runs.

As Shopify and Saleor meter their APIs: the operation itself costs 1, an entity (a type implementing Node,
something the server loads) costs 1, a scalar or a value shaped from its parent's row (Money, Image,
PriceRange, PageInfo, edges, payloads) costs 0, a connection costs 2 and what is inside it counts once per
item of its page (`first`/`last`, else the default page size), and a plain list counts its items as 10.
Costs multiply down the tree. A mutation field costs 10 more, as Shopify's do. Fragments on different types
are added up, so an abstract field costs at most what it says. Fields repeated under one response key are
one field, as graphql-core executes them.

The same plan, walked over the data that came back, gives the actual cost (real page lengths, nulls free),
and the client's bucket gets back the difference.
"""
from dataclasses import dataclass, field

from django.conf import settings
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLInterfaceType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    is_leaf_type,
)

PLAIN_LIST_ITEMS = 10
MUTATION_COST = 10
CONNECTION_COST = 2


@dataclass
class Planned:
    """A field that costs something, or holds fields that do: its response key, its own cost per item,
    how many items it stands for (None: one value, not a list) and the fields under it."""

    key: str
    cost: int
    items: int | None = None
    children: list["Planned"] = field(default_factory=list)


def plan(schema: GraphQLSchema, document, operation: OperationDefinitionNode, variables: dict | None) -> list[Planned]:
    root = schema.get_root_type(operation.operation)
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    planner = _Planner(schema, fragments, variables or {}, operation.operation == OperationType.MUTATION)
    return planner.selections([(operation.selection_set, root)], root_level=True)


def requested_cost(planned: list[Planned]) -> int:
    return 1 + sum(_requested(p) for p in planned)


def actual_cost(planned: list[Planned], data: dict | None) -> int:
    if data is None:
        return 0
    return 1 + sum(_actual(p, data.get(p.key)) for p in planned)


def _requested(p: Planned) -> int:
    one = p.cost + sum(_requested(child) for child in p.children)
    return one if p.items is None else p.items * one


def _actual(p: Planned, value) -> int:
    if value is None:
        return 0
    if p.items is None:
        return p.cost + _children_actual(p, value)
    return sum(p.cost + _children_actual(p, item) for item in value if item is not None)


def _children_actual(p: Planned, value) -> int:
    if not p.children or not isinstance(value, dict):
        return 0
    return sum(_actual(child, value.get(child.key)) for child in p.children)


class _Planner:
    def __init__(self, schema: GraphQLSchema, fragments: dict, variables: dict, mutation: bool):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.mutation = mutation
        self.entity = schema.get_type("Node")

    def selections(self, sets, *, root_level=False, page_size=None) -> list[Planned]:
        """Plan the fields of these selection sets (one response key's, merged), each with its parent type."""
        grouped: dict[str, tuple] = {}
        for selection_set, parent in sets:
            self._collect(selection_set, parent, grouped, set())
        planned = []
        for key, (parent, nodes) in grouped.items():
            p = self._field(key, parent, nodes, root_level, page_size)
            if p is not None:
                planned.append(p)
        return planned

    def _collect(self, selection_set: SelectionSetNode | None, parent, grouped: dict, seen: set) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                grouped.setdefault(key, (parent, []))[1].append(selection)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, self._condition(selection, parent), grouped, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    self._collect(fragment.selection_set, self._condition(fragment, parent), grouped, seen | {name})

    def _condition(self, fragment, parent):
        if fragment.type_condition is None:
            return parent
        named = self.schema.get_type(fragment.type_condition.name.value)
        return named if isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)) else parent

    def _field(self, key, parent, nodes: list[FieldNode], root_level: bool, page_size) -> Planned | None:
        definition = parent.fields.get(nodes[0].name.value) if hasattr(parent, "fields") else None
        if definition is None:  # __typename, or introspection
            return None
        extra = MUTATION_COST if root_level and self.mutation else 0
        output = _nullable(definition.type)
        items = None
        if isinstance(output, GraphQLList):
            items = page_size if page_size is not None else PLAIN_LIST_ITEMS
            output = _named(output)
        if is_leaf_type(output):
            return Planned(key, extra) if extra else None
        sets = [(node.selection_set, output) for node in nodes]
        if _is_connection(output):
            size = self._page_size(nodes[0], definition)
            # its `edges` list stands for one page of items, not 10
            return Planned(key, extra + CONNECTION_COST, items, self.selections(sets, page_size=size))
        cost = extra + (1 if self._is_entity(output) else 0)
        children = self.selections(sets)
        if not cost and not children:
            return None
        return Planned(key, cost, items, children)

    def _is_entity(self, output) -> bool:
        return self.entity is not None and (output is self.entity or self.entity in getattr(output, "interfaces", ()))

    def _page_size(self, node: FieldNode, definition) -> int:
        for argument in node.arguments or ():
            if argument.name.value in {"first", "last"}:
                value = argument.value
                if isinstance(value, VariableNode):
                    value = self.variables.get(value.name.value)
                else:
                    value = getattr(value, "value", None)
                try:
                    return max(0, int(value))
                except (TypeError, ValueError):
                    continue
        return settings.GRAPHQL_DEFAULT_PAGE_SIZE


def _nullable(type_):
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _named(type_):
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return type_


def _is_connection(output) -> bool:
    return isinstance(output, GraphQLObjectType) and output.name.endswith("Connection") and "edges" in output.fields
