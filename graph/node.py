"""`node` and `nodes`: any entity by its global ID, with exactly the visibility of the typed queries.

Each type's own get_queryset decides what the viewer may see, so an unpublished product is as absent here
as in `products`. An ID that does not decode, names no type, or holds no integer key is BAD_USER_INPUT.
"""
from collections import defaultdict

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph.core.errors import BadUserInput
from graph.core.ids import parse_pk


def _decode(info: Info, global_id: str, argument: str) -> tuple[type[relay.Node], int]:
    try:
        decoded = relay.GlobalID.from_id(global_id)
        node_type = decoded.resolve_type(info)
    except ValueError:
        raise BadUserInput(f"Argument '{argument}' is not a valid ID.", argument=argument) from None
    return node_type, parse_pk(decoded.node_id, argument=argument)


@strawberry.type
class NodeQuery:
    @strawberry.field
    def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        node_type, pk = _decode(info, id, "id")
        return next(iter(node_type.resolve_nodes(info=info, node_ids=[str(pk)], required=False)), None)

    @strawberry.field
    def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        """One query per type asked for, not per ID; answers in the order of `ids`."""
        decoded = [_decode(info, global_id, "ids") for global_id in ids]
        by_type: dict[type, list[int]] = defaultdict(list)
        for node_type, pk in decoded:
            by_type[node_type].append(pk)
        found = {}
        for node_type, pks in by_type.items():
            for pk, node in zip(pks, node_type.resolve_nodes(info=info, node_ids=[str(pk) for pk in pks])):
                found[node_type, pk] = node
        return [found.get(key) for key in decoded]
