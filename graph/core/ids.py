"""Global IDs: decoding a Relay ID argument into a primary key, and opaque IDs for entities that are not nodes."""
import strawberry
from strawberry import relay

from graph.core.errors import BadUserInput


def decode_id(global_id: str, node_type: type, *, argument: str) -> int:
    """The primary key in a global ID of the expected type; BAD_USER_INPUT for anything else."""
    type_name = node_type.__strawberry_definition__.name
    try:
        decoded = relay.GlobalID.from_id(global_id)
    except ValueError:
        raise BadUserInput(f"Argument '{argument}' is not a valid ID.", argument=argument) from None
    if decoded.type_name != type_name:
        raise BadUserInput(f"Argument '{argument}' must be the ID of a {type_name}.", argument=argument)
    return parse_pk(decoded.node_id, argument=argument)


def parse_pk(node_id: str, *, argument: str) -> int:
    if not node_id.isdigit() or int(node_id) > 2**63 - 1:
        raise BadUserInput(f"Argument '{argument}' is not a valid ID.", argument=argument)
    return int(node_id)


def local_id(type_name: str, pk: int) -> strawberry.ID:
    """An opaque ID for an entity that is not a Node (a cart line): the same encoding, so clients treat it alike."""
    return strawberry.ID(relay.to_base64(type_name, pk))
