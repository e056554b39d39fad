"""Staff's catalog mutations: products, variants, stock and categories.

Create inputs require what the model needs; update inputs leave out what stays as it is (strawberry.UNSET is
"absent", null is a value: `categoryId: null` takes a product out of its category). Every mutation here is
staff only: anyone else gets a top-level FORBIDDEN before anything runs.
"""
from decimal import Decimal

import strawberry
from strawberry.types import Info

from commerce.catalog import attributes as attribute_service
from commerce.catalog import staff
from graph.catalog import Category, Product, ProductVariant
from graph.catalog_attributes import AttributeType, ProductAttribute
from graph.core.ids import decode_id
from graph.core.payloads import UserError, given, staff_write
from graph.core.types import payload_field

UNSET = strawberry.UNSET


@strawberry.input
class AttributeInput:
    name: str
    value: str


def _attributes(attributes: list[AttributeInput] | None) -> list[dict] | None:
    return None if attributes is None else [{"name": a.name, "value": a.value} for a in attributes]


@strawberry.input(description="One attribute's value, by its type: `values` (value slugs or names) for CHOICE (one) "
                              "and MULTI_CHOICE, `number`, `boolean` or `text` for the others. With none of them "
                              "the attribute is removed.")
class AttributeAssignInput:
    attribute_id: strawberry.ID
    values: list[str] | None = None
    number: float | None = None
    boolean: bool | None = None
    text: str | None = None


def _assigns(inputs: list[AttributeAssignInput] | None, argument: str) -> list[attribute_service.Assign] | None:
    if inputs is None:
        return None
    return [attribute_service.Assign(attribute_id=decode_id(a.attribute_id, ProductAttribute,
                                                     argument=f"{argument}.{i}.attributeId"),
                              values=a.values, number=a.number, boolean=a.boolean, text=a.text)
            for i, a in enumerate(inputs)]


@strawberry.input(description="A new attribute definition; `slug` is generated from the name when absent.")
class ProductAttributeCreateInput:
    name: str
    slug: str | None = None
    type: AttributeType
    filterable: bool | None = False
    values: list[str] | None = strawberry.field(default=None, description="CHOICE and MULTI_CHOICE: the value "
                                                                          "names, in order.")


@strawberry.input(description="Absent fields stay as they are. `values` is the whole list in order: names not "
                              "there yet are added, the ones left out are removed (and unset wherever chosen).")
class ProductAttributeUpdateInput:
    name: str | None = UNSET
    filterable: bool | None = UNSET
    values: list[str] | None = UNSET


@strawberry.type
class ProductAttributePayload:
    attribute: ProductAttribute | None = payload_field()
    errors: list[UserError]


def _id_of(node_type, argument: str):
    return lambda value: None if value is None else decode_id(value, node_type, argument=argument)


@strawberry.input(description="A new product; `slug` is generated from the name when absent.")
class ProductCreateInput:
    name: str
    slug: str | None = None
    description: str | None = ""
    category_id: strawberry.ID | None = None
    is_published: bool | None = strawberry.field(default=True, description="Listed in the storefront.")
    seo_title: str | None = strawberry.field(default="", description="At most 70 characters; empty: the name.")
    seo_description: str | None = strawberry.field(default="", description="At most 300 characters; empty: the "
                                                                           "description's start.")


@strawberry.input(description="Absent fields stay as they are; `categoryId: null` takes the product out of its category.")
class ProductUpdateInput:
    name: str | None = UNSET
    slug: str | None = UNSET
    description: str | None = UNSET
    category_id: strawberry.ID | None = UNSET
    is_published: bool | None = UNSET
    seo_title: str | None = UNSET
    seo_description: str | None = UNSET


@strawberry.input
class VariantCreateInput:
    sku: str
    price: Decimal
    name: str | None = ""
    stock: int | None = strawberry.field(default=0, description="Units on hand; later changes: `variantStockSet`.")
    attributes: list[AttributeInput] | None = strawberry.field(
        default=None, deprecation_reason="Use `options`: these pairs are matched to attribute definitions by name.")
    options: list[AttributeAssignInput] | None = strawberry.field(
        default=None, description="What tells the variant apart (Size: M); any attribute but a MULTI_CHOICE one.")
    low_stock_threshold: int | None = strawberry.field(
        default=None, description="Staff are emailed when stock falls under this; null: the shop's default.")
    position: int | None = strawberry.field(default=None, description="Order among the product's variants; "
                                                                      "last by default.")


@strawberry.input(description="Absent fields stay as they are. Stock changes through `variantStockSet`.")
class VariantUpdateInput:
    sku: str | None = UNSET
    price: Decimal | None = UNSET
    name: str | None = UNSET
    attributes: list[AttributeInput] | None = strawberry.field(
        default=UNSET, deprecation_reason="Use `options`: these pairs are matched to attribute definitions by name.")
    options: list[AttributeAssignInput] | None = strawberry.field(
        default=UNSET, description="Sets the attributes named; one given with no value is removed.")
    low_stock_threshold: int | None = UNSET
    position: int | None = UNSET


@strawberry.input(description="A new category; `slug` is generated from the name when absent.")
class CategoryCreateInput:
    name: str
    slug: str | None = None
    description: str | None = ""
    parent_id: strawberry.ID | None = None


@strawberry.input(description="Absent fields stay as they are; `parentId: null` makes the category a root.")
class CategoryUpdateInput:
    name: str | None = UNSET
    slug: str | None = UNSET
    description: str | None = UNSET
    parent_id: strawberry.ID | None = UNSET


@strawberry.type
class ProductPayload:
    product: Product | None = payload_field()
    errors: list[UserError]


@strawberry.type
class VariantPayload:
    variant: ProductVariant | None = payload_field()
    errors: list[UserError]


@strawberry.type
class CategoryPayload:
    category: Category | None = payload_field()
    errors: list[UserError]


def _product_changes(input) -> dict:
    return given(input, category_id=_id_of(Category, "input.categoryId"))


def _category_changes(input) -> dict:
    return given(input, parent_id=_id_of(Category, "input.parentId"))


def _variant_changes(input) -> dict:
    return given(input, attributes=_attributes, options=lambda options: _assigns(options, "input.options"))


def _with_defaults(changes: dict, **defaults) -> dict:
    """A create input's optional fields sent as null take the model's default, as if left out."""
    return {**changes, **{name: value for name, value in defaults.items() if changes.get(name) is None}}


@strawberry.type
class CatalogStaffMutation:
    @strawberry.mutation(description="Staff.")
    def product_create(self, info: Info, input: ProductCreateInput) -> ProductPayload:
        return staff_write(info, ProductPayload, "product", lambda: staff.create_product(
            **_with_defaults(_product_changes(input), description="", seo_title="", seo_description="")))

    @strawberry.mutation(description="Staff. Absent fields stay as they are.")
    def product_update(self, info: Info, id: strawberry.ID, input: ProductUpdateInput) -> ProductPayload:
        return staff_write(info, ProductPayload, "product", lambda: staff.update_product(
            decode_id(id, Product, argument="id"), _product_changes(input)))

    @strawberry.mutation(description="Staff. A product that is in an order is unpublished instead of deleted, so "
                                     "orders keep it; the payload returns it either way.")
    def product_delete(self, info: Info, id: strawberry.ID) -> ProductPayload:
        return staff_write(info, ProductPayload, "product", lambda: staff.delete_product(
            decode_id(id, Product, argument="id")))

    @strawberry.mutation(description="Staff.")
    def variant_create(self, info: Info, product_id: strawberry.ID, input: VariantCreateInput) -> VariantPayload:
        return staff_write(info, VariantPayload, "variant", lambda: staff.create_variant(
            decode_id(product_id, Product, argument="productId"),
            **_with_defaults(_variant_changes(input), name="", stock=0)))

    @strawberry.mutation(description="Staff. Absent fields stay as they are.")
    def variant_update(self, info: Info, id: strawberry.ID, input: VariantUpdateInput) -> VariantPayload:
        return staff_write(info, VariantPayload, "variant", lambda: staff.update_variant(
            decode_id(id, ProductVariant, argument="id"), _variant_changes(input)))

    @strawberry.mutation(description="Staff. A variant that is in an order is archived instead of deleted (gone "
                                     "from the product, carts and listings; the order keeps it); the payload "
                                     "returns it either way.")
    def variant_delete(self, info: Info, id: strawberry.ID) -> VariantPayload:
        return staff_write(info, VariantPayload, "variant", lambda: staff.delete_variant(
            decode_id(id, ProductVariant, argument="id")))

    @strawberry.mutation(description="Staff. Sets the units on hand (never below zero); staff are alerted when it "
                                     "falls under the low-stock threshold.")
    def variant_stock_set(self, info: Info, id: strawberry.ID, quantity: int) -> VariantPayload:
        return staff_write(info, VariantPayload, "variant", lambda: staff.set_stock(
            decode_id(id, ProductVariant, argument="id"), quantity))

    @strawberry.mutation(description="Staff.")
    def category_create(self, info: Info, input: CategoryCreateInput) -> CategoryPayload:
        return staff_write(info, CategoryPayload, "category", lambda: staff.create_category(
            **_with_defaults(_category_changes(input), description="")))

    @strawberry.mutation(description="Staff. Absent fields stay as they are; a category cannot move below itself.")
    def category_update(self, info: Info, id: strawberry.ID, input: CategoryUpdateInput) -> CategoryPayload:
        return staff_write(info, CategoryPayload, "category", lambda: staff.update_category(
            decode_id(id, Category, argument="id"), _category_changes(input)))

    @strawberry.mutation(description="Staff. Deletes the category and its subcategories; refused with "
                                     "CATEGORY_NOT_EMPTY while any of them holds products.")
    def category_delete(self, info: Info, id: strawberry.ID) -> CategoryPayload:
        return staff_write(info, CategoryPayload, "category", lambda: staff.delete_category(
            decode_id(id, Category, argument="id")))

    @strawberry.mutation(description="Staff.")
    def product_attribute_create(self, info: Info, input: ProductAttributeCreateInput) -> ProductAttributePayload:
        return staff_write(info, ProductAttributePayload, "attribute", lambda: attribute_service.create_attribute(
            name=input.name, slug=input.slug, type=input.type.value, filterable=bool(input.filterable),
            values=input.values))

    @strawberry.mutation(description="Staff. Absent fields stay as they are; the type cannot change.")
    def product_attribute_update(self, info: Info, id: strawberry.ID,
                                 input: ProductAttributeUpdateInput) -> ProductAttributePayload:
        return staff_write(info, ProductAttributePayload, "attribute", lambda: attribute_service.update_attribute(
            decode_id(id, ProductAttribute, argument="id"), given(input)))

    @strawberry.mutation(description="Staff. Deletes the definition and unsets it on every product and variant.")
    def product_attribute_delete(self, info: Info, id: strawberry.ID) -> ProductAttributePayload:
        return staff_write(info, ProductAttributePayload, "attribute", lambda: attribute_service.delete_attribute(
            decode_id(id, ProductAttribute, argument="id")))

    @strawberry.mutation(description="Staff. Sets the product's own attributes named (others stay); one given with "
                                     "no value is removed. A value of the wrong type is an error on its field.")
    def product_attributes_set(self, info: Info, id: strawberry.ID,
                               attributes: list[AttributeAssignInput]) -> ProductPayload:
        return staff_write(info, ProductPayload, "product", lambda: attribute_service.set_product_attributes(
            decode_id(id, Product, argument="id"), _assigns(attributes, "attributes")))
