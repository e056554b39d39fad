"""Typed attributes in the schema: definitions, what a product or a variant has (SelectedAttribute), the
storefront's attribute filter and the facets beside a product list.

SelectedAttribute is declared over the assignment model, so the optimizer plans `Product.attributes` and
`ProductVariant.options` as prefetches (two queries for a whole page, whatever its size), never one per product.
"""
from enum import Enum

import strawberry
import strawberry_django
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.queryset import get_queryset_config

from commerce.catalog import models, selectors
from graph.core.types import ModelField, ModelNode


@strawberry.enum
class AttributeType(Enum):
    CHOICE = "CHOICE"
    MULTI_CHOICE = "MULTI_CHOICE"
    NUMBER = "NUMBER"
    BOOLEAN = "BOOLEAN"
    TEXT = "TEXT"


@strawberry_django.type(models.AttributeValue, name="AttributeValue", field_cls=ModelField)
class AttributeValue:
    slug: str = strawberry_django.field(description="What a filter names (`AttributeFilter.values`); for a NUMBER "
                                                    "the number (\"250\"), for a BOOLEAN \"true\" or \"false\".",
                                        field_cls=ModelField)
    name: str


@strawberry_django.type(models.ProductAttribute, name="ProductAttribute", field_cls=ModelField)
class ProductAttribute(ModelNode):
    slug: str
    name: str
    filterable: bool = strawberry_django.field(description="Offered as a facet and a storefront filter.",
                                               field_cls=ModelField)
    values: list[AttributeValue] = strawberry_django.field(
        description="The values to choose from, in order (CHOICE and MULTI_CHOICE; empty for the other types).")

    @strawberry_django.field(only=["type"])
    def type(self) -> AttributeType:
        return AttributeType(self.type)


@strawberry_django.type(models.AttributeAssignment, name="SelectedAttribute", field_cls=ModelField)
class SelectedAttribute:
    attribute: ProductAttribute

    @strawberry_django.field(prefetch_related=["values"], only=["number", "boolean", "text", "attribute_id"],
                             description="The chosen values; a NUMBER, BOOLEAN or TEXT attribute's one value as such "
                                         "(slug \"250\", \"true\", the text).")
    def values(self) -> list[AttributeValue]:
        return self.shown_values()


class ProductLevelField(StrawberryDjangoField):
    """A product's own attributes: its assignments that are not a variant's option. The filter is in get_queryset,
    which the optimizer also runs for the prefetch of a whole page."""

    def get_queryset(self, queryset, info, **kwargs):
        if not get_queryset_config(queryset).optimized_by_prefetching:  # a prefetched page was filtered as planned
            queryset = queryset.filter(variant__isnull=True)
        return super().get_queryset(queryset, info, **kwargs)


def product_attributes_field():
    return strawberry_django.field(field_name="attribute_assignments", field_cls=ProductLevelField,
                                   description="What the product is described by; its variants' `options` say what "
                                               "tells them apart.")


@strawberry.input
class NumberRange:
    gte: float | None = None
    lte: float | None = None


@strawberry.input(description="A product matches when it, or any of its variants, has any of `values` (OR), a number "
                              "within `range` (NUMBER) or the yes/no `boolean` (BOOLEAN).")
class AttributeFilter:
    slug: str
    values: list[str] | None = None
    range: NumberRange | None = None
    boolean: bool | None = None

    def to_condition(self) -> selectors.AttributeCondition:
        return selectors.AttributeCondition(
            slug=self.slug, values=None if self.values is None else tuple(self.values),
            gte=self.range.gte if self.range else None, lte=self.range.lte if self.range else None,
            boolean=self.boolean)


@strawberry.type
class FacetValue:
    value: AttributeValue
    count: int = strawberry.field(description="Products with this value under every other filter given.")


@strawberry.type
class Facet:
    attribute: ProductAttribute
    values: list[FacetValue]

    @classmethod
    def of(cls, facet: selectors.Facet) -> "Facet":
        return cls(attribute=facet.attribute,
                   values=[FacetValue(value=v.value, count=v.count) for v in facet.values])
