"""The calculated cost of an operation, from its document and variables, before any resolver runs.

As Shopify and Saleor meter their APIs: the operation itself costs 1, an entity (a type implementing Node,
something the server loads) costs 1, a scalar or a value shaped from its parent's row (Money, Image,
PriceRange, PageInfo, edges, payloads) costs 0, a connection costs 2 and what is inside it counts once per
item of its page (`first`/`last`, else the default page size), and a plain list counts its items as 10.
Costs multiply down the tree; `nodes(ids:)` counts the IDs it was given, a plain list with a `first` argument
(`salesReport.topProducts`) the page it asked for (else the argument's default). A mutation field costs 10
more, as Shopify's do. Fields repeated under one response key are one field, as graphql-core executes them; under an
abstract field, each type's fields are priced with that type's definitions and arguments, the fields of
fragments that can apply to one object together (added up), and the field costs what its most expensive
possible type costs (so `...on Product { a: reviews(first: 1) }` cannot lend its price to
`...on Category { a: products(first: 100) }`).

Planning takes time in proportion to the document, not to its expansion: a fragment spread twice in one
selection is collected once (as graphql-core collects fields), and what is under a set of selections is planned
once and shared wherever the same selections recur (a fragment spread under several fields), so a document
that doubles its fragments at every level is cheap to price (and is priced at every place it is spread).

The same plan, walked over the data that came back, gives the actual cost (real page lengths, nulls free; an
abstract field's value is priced by its most expensive type's plan, which is never more than was requested),
and the client's bucket gets back the difference.
"""
from dataclasses import dataclass, field

from django.conf import settings
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    is_leaf_type,
)

PLAIN_LIST_ITEMS = 10
MUTATION_COST = 10
CONNECTION_COST = 2
# The wishlist (up to WISHLIST_MAX_ITEMS, 100) is priced as 10 like any plain list: priced at 100, the
# storefront's wishlist page with variants would cost 1,102 and be refused; a longer one pays the rest once
# its actual cost is known (graph.transport.metering).


@dataclass(eq=False)
class Planned:
    """A field that costs something, or holds fields that do: its response key, its own cost per item,
    how many items it stands for (None: one value, not a list) and the fields under it. A field that abstract
    types share a response key for has `branches` instead: the plans of each possible type's fields.

    Plans are shared where the same selections recur, so the walks below remember what they have priced."""

    key: str
    cost: int
    items: int | None = None
    children: list["Planned"] = field(default_factory=list)
    branches: list[list["Planned"]] | None = None


def plan(schema: GraphQLSchema, document, operation: OperationDefinitionNode, variables: dict | None) -> list[Planned]:
    root = schema.get_root_type(operation.operation)
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    planner = _Planner(schema, fragments, variables or {}, operation.operation == OperationType.MUTATION)
    return planner.selections([(operation.selection_set, root)], root_level=True)


def requested_cost(planned: list[Planned]) -> int:
    known: dict[int, int] = {}
    return 1 + sum(_requested(p, known) for p in planned)


def actual_cost(planned: list[Planned], data: dict | None) -> int:
    if data is None:
        return 0
    known: dict[tuple[int, int], int] = {}
    return 1 + sum(_actual(p, data.get(p.key), known) for p in planned)


def _requested(p: Planned, known: dict) -> int:
    if id(p) not in known:
        if p.branches is not None:
            known[id(p)] = max(sum(_requested(each, known) for each in branch) for branch in p.branches)
        else:
            one = p.cost + sum(_requested(child, known) for child in p.children)
            known[id(p)] = one if p.items is None else p.items * one
    return known[id(p)]


def _actual(p: Planned, value, known: dict) -> int:
    if value is None:
        return 0
    if p.branches is not None:
        # Each branch walks the same value: remembered, so nested branches cannot multiply the walk (the data
        # outlives it, so its ids stay its own).
        if (id(p), id(value)) not in known:
            known[(id(p), id(value))] = max(sum(_actual(each, value, known) for each in branch)
                                            for branch in p.branches)
        return known[(id(p), id(value))]
    if p.items is None:
        return p.cost + _children_actual(p, value, known)
    return sum(p.cost + _children_actual(p, item, known) for item in value if item is not None)


def _children_actual(p: Planned, value, known: dict) -> int:
    if not p.children or not isinstance(value, dict):
        return 0
    return sum(_actual(child, value.get(child.key), known) for child in p.children)


class _Planner:
    def __init__(self, schema: GraphQLSchema, fragments: dict, variables: dict, mutation: bool):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.mutation = mutation
        self.entity = schema.get_type("Node")
        self.planned: dict[tuple, list[Planned]] = {}

    def selections(self, sets, *, root_level=False, page_size=None) -> list[Planned]:
        """Plan the fields of these selection sets (one response key's, merged), each with its parent type;
        planned once for any one list of selection sets, and shared wherever it recurs."""
        memo = (tuple((id(selection_set), parent.name) for selection_set, parent in sets), root_level, page_size)
        if memo in self.planned:
            return self.planned[memo]
        grouped: dict[str, dict] = {}  # response key -> parent type -> its fields under that key
        collected: set[str] = set()  # fragments already collected here: spread again, they add nothing
        for selection_set, parent in sets:
            self._collect(selection_set, parent, grouped, collected)
        planned = []
        for key, by_parent in grouped.items():
            per_parent = {parent: self._field(key, parent, nodes, root_level, page_size)
                          for parent, nodes in by_parent.items()}
            p = self._merge(key, {parent: p for parent, p in per_parent.items() if p is not None})
            if p is not None:
                planned.append(p)
        self.planned[memo] = planned
        return planned

    def _merge(self, key: str, per_parent: dict) -> Planned | None:
        """One response key's plan from each parent type's: for every object type the value may have, the
        plans of the parent types that apply to it add up; the key costs what the most expensive type does."""
        if len(per_parent) <= 1:
            return next(iter(per_parent.values()), None)
        applying: dict[str, set] = {}
        for parent in per_parent:
            possible = self.schema.get_possible_types(parent) if isinstance(parent, GraphQLAbstractType) else [parent]
            for object_type in possible:
                applying.setdefault(object_type.name, set()).add(parent)
        groups = {frozenset(parents) for parents in applying.values()}
        widest = [g for g in groups if not any(g < other for other in groups)]
        return Planned(key, 0, branches=[[per_parent[parent] for parent in group] for group in widest])

    def _collect(self, selection_set: SelectionSetNode | None, parent, grouped: dict, collected: set) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                grouped.setdefault(key, {}).setdefault(parent, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, self._condition(selection, parent), grouped, collected)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in collected:
                    collected.add(name)
                    self._collect(fragment.selection_set, self._condition(fragment, parent), grouped, collected)

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
            items = page_size if page_size is not None else self._list_items(nodes[0], definition)
            output = _named(output)
        if is_leaf_type(output):
            return Planned(key, extra) if extra else None
        sets = [(node.selection_set, output) for node in nodes]
        if _is_connection(output):
            size = self._page_size(nodes[0])
            # its `edges` list stands for one page of items, not 10
            return Planned(key, extra + CONNECTION_COST, items, self.selections(sets, page_size=size))
        cost = extra + (1 if self._is_entity(output) else 0)
        children = self.selections(sets)
        if not cost and not children:
            return None
        return Planned(key, cost, items, children)

    def _is_entity(self, output) -> bool:
        return self.entity is not None and (output is self.entity or self.entity in getattr(output, "interfaces", ()))

    def _list_items(self, node: FieldNode, definition) -> int:
        """A plain list's items: as many as the IDs it was asked for (`nodes(ids:)`), the `first` it asked for
        (or that argument's default), else PLAIN_LIST_ITEMS."""
        ids = self._ids_given(node)
        if ids is not None:
            return ids
        if "first" in definition.args:
            first = self._int_argument(node, {"first"})
            if first is None:
                first = definition.args["first"].default_value
            if isinstance(first, int):
                return max(0, first)
        return PLAIN_LIST_ITEMS

    def _ids_given(self, node: FieldNode) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value == "ids":
                value = argument.value
                if isinstance(value, VariableNode):
                    value = self.variables.get(value.name.value)
                elif isinstance(value, ListValueNode):
                    value = value.values
                if isinstance(value, (list, tuple)):
                    return len(value)
        return None

    def _page_size(self, node: FieldNode) -> int:
        size = self._int_argument(node, {"first", "last"})
        return settings.GRAPHQL_DEFAULT_PAGE_SIZE if size is None else size

    def _int_argument(self, node: FieldNode, names: set) -> int | None:
        """The first of these arguments given a whole number (literal or variable), at least 0."""
        for argument in node.arguments or ():
            if argument.name.value in names:
                value = argument.value
                if isinstance(value, VariableNode):
                    value = self.variables.get(value.name.value)
                else:
                    value = getattr(value, "value", None)
                try:
                    return max(0, int(value))
                except (TypeError, ValueError):
                    continue
        return None


def _nullable(type_):
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _named(type_):
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return type_


def _is_connection(output) -> bool:
    return isinstance(output, GraphQLObjectType) and output.name.endswith("Connection") and "edges" in output.fields
