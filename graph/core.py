"""Pieces every domain's schema module uses: Money, the viewer, and decoding arguments."""
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph.errors import BadUserInput


@strawberry.type(description="An amount in a currency; `amount` is a decimal string such as \"12.50\".")
class Money:
    amount: Decimal
    currency: str


def viewer(info: Info):
    """The signed-in user of this operation, or None."""
    request = getattr(info.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def viewer_is_staff(info: Info) -> bool:
    user = viewer(info)
    return bool(user and user.is_active and user.is_staff)


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
