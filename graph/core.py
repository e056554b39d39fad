"""Pieces every domain's schema module uses: Money, the viewer, and decoding arguments."""
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.types import Info
from strawberry_django.fields.field import StrawberryDjangoField

from commerce.permissions import is_signed_in, is_staff
from graph.errors import BadUserInput


@strawberry.type(description="An amount in a currency; `amount` is a decimal string such as \"12.50\".")
class Money:
    amount: Decimal
    currency: str


def viewer(info: Info):
    """The signed-in user of this operation, or None: from the HTTP request (graph.auth.Authentication sets
    it), or, on a websocket, from the connection's `connection_init` (graph.consumers)."""
    context = info.context
    if isinstance(context, dict):
        user = context.get("user")
    else:
        user = getattr(getattr(context, "request", None), "user", None)
    return user if is_signed_in(user) else None


def viewer_is_staff(info: Info) -> bool:
    return is_staff(viewer(info))


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


class ModelField(StrawberryDjangoField):
    """A strawberry-django field that Strawberry resolves on its fast path when it is a plain column.

    strawberry-django declares every field non-basic, so even `name` or `sku` gets an Info object, argument
    parsing and the extension chain: most of a catalog page's time. A column with no resolver, extension or
    relation needs none of that; its value (or annotation) is already on the instance the optimizer loaded,
    and `get_result` still reads it the strawberry-django way.
    """

    @property
    def is_basic_field(self) -> bool:
        return self.base_resolver is None and not self.extensions and not self.is_relation


class ModelNode(relay.Node):
    """A Relay node whose ID is the model's primary key.

    Relay's default finds the ID attribute by evaluating the type's annotations on every `id` it resolves,
    which cost a third of a catalog page; ours is always `pk`.
    """

    @classmethod
    def resolve_id_attr(cls) -> str:
        return "pk"


class GuardedNode(ModelNode):
    """A node that `node`/`nodes` return only when `visible(info)` holds it.

    For entities reached by a secret as well as by ID (a cart by its token, an order by its token, an address
    through its cart): the type itself does not filter, since a field that reaches one does so through a parent
    the caller was already allowed (the token), and only lookups by bare ID are narrowed to what the caller owns.
    """

    @classmethod
    def visible(cls, info: Info):
        raise NotImplementedError

    @classmethod
    def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        found = cls.visible(info).in_bulk([int(pk) for pk in node_ids])
        return [found.get(int(pk)) for pk in node_ids]
