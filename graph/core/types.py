"""Base types every domain's schema module uses: Money and the Decimal scalar, model fields and nodes, and payload
fields."""
from decimal import Decimal, DecimalException

import strawberry
import strawberry_django
from django.conf import settings
from django.db.models import Model, QuerySet
from strawberry import relay
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry_django import optimizer
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.queryset import run_type_get_queryset

from commerce.money import round_money
from graph.core.ids import local_id

DECIMAL_BOUND = Decimal("1e10")  # what the models' DecimalField(max_digits=12, decimal_places=2) can hold
DECIMAL_PLACES = Decimal("1e-12")  # finer than any amount or rate; PostgreSQL overflows on "1e-1000000"


def parse_decimal(value: object) -> Decimal:
    """A client's Decimal: a string (or a JSON number), finite, below DECIMAL_BOUND in magnitude and with at most
    12 decimal places.

    Strawberry's own scalar takes "NaN", "Infinity" and "1e1000000", which then fail deep in a query as a server
    error; every Decimal the API takes is an amount or a rate that a column must hold. The message does not name
    the type, so that it holds with GRAPHQL_GENERIC_VALIDATION_MESSAGES (graph.transport.masking).
    """
    try:
        number = Decimal(str(value)) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
    except DecimalException:
        number = None
    if number is None or not number.is_finite() or number.copy_abs() >= DECIMAL_BOUND or (
            number != number.quantize(DECIMAL_PLACES)):
        shown = str(value) if len(str(value)) <= 40 else f"{str(value)[:40]}..."
        raise StrawberryInputCoercionError(
            f'Not a decimal number below 10^10 with at most 12 decimal places: "{shown}".')
    return number


DECIMAL = strawberry.scalar(
    name="Decimal",
    description="Decimal (fixed-point), as a string such as \"12.50\": finite, below 10^10 in magnitude, with at "
                "most 12 decimal places.",
    serialize=str,
    parse_value=parse_decimal,
)


@strawberry.type(description="An amount in a currency; `amount` is a decimal string such as \"12.50\".")
class Money:
    amount: Decimal
    currency: str


def money(amount: Decimal, currency: str | None = None) -> Money:
    """An amount as the API shows it: in the currency's minor units ("12.50", "0.00")."""
    currency = currency or settings.SHOP_CURRENCY
    return Money(amount=round_money(amount, currency), currency=currency)


def local_id_field(type_name: str):
    """A field answering the row's opaque ID (graph.core.ids.local_id), for a type that is not a Node.

    `only` names the column, not `pk`: reached through a relation (a return line's order line) the optimizer
    prefixes it, and `order_line__pk` is no field."""
    @strawberry_django.field(only=["id"])
    def resolve(self) -> strawberry.ID:
        return local_id(type_name, self.pk)

    return resolve


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


class PageArgumentDescriptions(FieldExtension):
    """Says what `last` does: Strawberry describes it as `after` ("come after the specified cursor")."""

    def apply(self, field) -> None:
        for argument in field.arguments:
            if argument.python_name == "last":
                argument.description = "Returns the last n items from the list."


def connection(graphql_type=None, **options):
    """strawberry_django.connection, its page arguments described rightly. The description is set after the
    connection's own extension adds the arguments, which is why it is not passed as one of `extensions`."""
    field = strawberry_django.connection(graphql_type, **options)
    field.extensions.append(PageArgumentDescriptions())
    return field


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


def planned(queryset: QuerySet, node_type: type, info: Info) -> QuerySet:
    """`queryset` as a strawberry-django field serves it at `info`: narrowed by the type's get_queryset, then
    planned by the optimizer for what the client selected there (relations, nested lists, annotations).

    The schema's Optimizer has no per-field hook (graph.schema), so a list or entity that a plain field returns is
    never planned on its own: whatever returns rows that a service or a report chose goes through here.
    """
    queryset = run_type_get_queryset(queryset, node_type, info)
    extension = optimizer.optimizer.get()
    return queryset if extension is None else extension.optimize(queryset, info=info)


class PayloadField(StrawberryDjangoField):
    """A mutation payload's entity (a model instance) or list (a queryset), loaded through `planned`.

    Services return plain instances: their relations are not loaded and neither are the annotations some fields
    read. Loading the entity again by primary key costs one query, plus one per nested list whatever its length,
    where walking the instance would cost one per row. An entity that no longer exists (a deletion's payload) is
    shown as the service last saw it.
    """

    def get_result(self, source, info, args, kwargs):
        value = getattr(source, self.python_name)
        if isinstance(value, QuerySet):
            return list(planned(value, self.django_type, info))
        if not isinstance(value, Model):
            return value
        rows = type(value)._default_manager.filter(pk=value.pk)
        found = planned(rows, self.django_type, info).first()
        return value if found is None and not rows.exists() else found


def payload_field(**kwargs):
    """A payload's entity (null unless the mutation sets it) or list field, loaded through PayloadField."""
    return strawberry_django.field(field_cls=PayloadField, **{"default": None, **kwargs})


class RowsByPk:
    """The rows several items of a list point at (a report's best sellers), loaded together the first time any
    item asks and planned for the selection under that field, so the list costs the same at any length."""

    def __init__(self, node_type: type, pks):
        self._node_type, self._pks, self._rows = node_type, [pk for pk in pks if pk is not None], None

    def get(self, pk: int | None, info: Info):
        if self._rows is None:
            model = self._node_type.__strawberry_django_definition__.model
            self._rows = {row.pk: row for row in planned(model._default_manager.filter(pk__in=self._pks),
                                                         self._node_type, info)}
        return self._rows.get(pk)
