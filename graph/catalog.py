"""The catalog part of the contract: categories, products, variants, images and reviews.

Types are declared over the models so that strawberry-django's optimizer plans every list (select_related,
prefetches, windowed nested pages); the storefront's `filter`/`sort` are applied in `ProductListField`'s
get_queryset, which the optimizer also calls for the nested `Category.products`, so that stays one query too.
"""
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry
import strawberry_django
from django.conf import settings
from strawberry.types import Info
from strawberry_django.arguments import argument
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.queryset import get_queryset_config
from strawberry_django.relay import DjangoListConnection as Connection

from commerce.catalog import models, selectors
from graph.core.context import viewer_is_staff
from graph.core.errors import BadUserInput
from graph.core.ids import decode_id
from graph.core.types import GuardedNode, ModelField, ModelNode, Money, connection, local_id_field


@strawberry.type
class Attribute:
    name: str
    value: str


@strawberry.type
class PriceRange:
    min: Money
    max: Money
    compare_at_min: Money | None = strawberry.field(
        default=None, description="The undiscounted lowest price; null when nothing of the product is on sale.")
    compare_at_max: Money | None = strawberry.field(
        default=None, description="The undiscounted highest price; null when nothing of the product is on sale.")


@strawberry.type(description="What search engines and link previews show.")
class Seo:
    title: str = strawberry.field(description="Staff's SEO title, else the product's name.")
    description: str = strawberry.field(description="Staff's SEO description, else the description's first 160 "
                                                    "characters, cut at a word.")


@strawberry.type
class Rating:
    average: float | None
    count: int


@strawberry.enum(description="What a rendition of an uploaded image is encoded as.")
class ImageFormat(Enum):
    WEBP = "webp"
    JPEG = "jpeg"


@strawberry_django.type(models.ProductImage, name="Image", field_cls=ModelField)
class Image:
    """Not a Node: an image is a part of its product, reached through it and priced with it (graph.transport.cost);
    its ID is opaque all the same, what productMediaDelete and productMediaReorder take."""

    id: strawberry.ID = local_id_field("Image")
    alt: str
    width: int | None = strawberry_django.field(
        description="In px, as shown (after its EXIF orientation); null for an image hosted elsewhere.",
        field_cls=ModelField)
    height: int | None = strawberry_django.field(
        description="In px, as shown (after its EXIF orientation); null for an image hosted elsewhere.",
        field_cls=ModelField)

    @strawberry_django.field(only=["url", "file", "renditions"], description=(
        "An absolute URL. `size`: the longer side wanted, in px: the smallest rendition at least that large, else the "
        "largest (no `size`: the largest). The original until its renditions are made, moments after the upload; "
        "the URL itself for an image hosted elsewhere."))
    def url(self, info: Info, size: int | None = None, format: ImageFormat = ImageFormat.WEBP) -> str:
        return info.context.absolute_url(self.path(size, format.value))


@strawberry_django.type(models.Review, name="Review", field_cls=ModelField)
class Review(GuardedNode):
    rating: int
    title: str
    body: str
    author: str = strawberry_django.field(field_name="author_name")
    verified_purchase: bool
    created_at: datetime

    @classmethod
    def visible(cls, info: Info):
        """By ID, only where its product is seen; `Product.reviews` is reached through a product already seen."""
        return selectors.visible_reviews(models.Review.objects.all(), staff=viewer_is_staff(info))


@strawberry.enum
class ProductSortField(Enum):
    NAME = "NAME"
    PRICE = "PRICE"
    CREATED_AT = "CREATED_AT"
    RATING = "RATING"
    RELEVANCE = "RELEVANCE"


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class ProductFilter:
    search: str | None = None
    category: strawberry.ID | None = strawberry.field(default=None, description="Includes its descendants.")
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool | None = None
    ids: list[strawberry.ID] | None = None

    def to_query(self) -> selectors.ProductQuery:
        return selectors.ProductQuery(
            search=self.search,
            category_id=None if self.category is None else decode_id(self.category, Category, argument="category"),
            price_min=self.price_min,
            price_max=self.price_max,
            in_stock=self.in_stock,
            ids=None if self.ids is None else [decode_id(i, Product, argument="ids") for i in self.ids],
        )


@strawberry.input
class ProductSort:
    field: ProductSortField
    direction: SortDirection | None = SortDirection.ASC

    def to_order(self) -> selectors.ProductOrder:
        return selectors.ProductOrder(
            field=selectors.SortField[self.field.value], descending=self.direction == SortDirection.DESC
        )


class ProductListField(StrawberryDjangoField):
    """A connection of products with the contract's `filter` and `sort` arguments, wherever it is listed.

    The arguments are applied in get_queryset, which runs for a top-level list and is also what the optimizer
    calls when it prefetches a nested list for a whole page of parents (a custom resolver would hide the
    nested list from it and cost one query per parent).
    """

    @property
    def arguments(self) -> list:
        declared = super().arguments
        names = {a.python_name for a in declared}
        extra = [
            argument("filter", ProductFilter, is_optional=True),
            argument("sort", ProductSort, is_optional=True),
        ]
        return [*declared, *(a for a in extra if a.python_name not in names)]

    @arguments.setter
    def arguments(self, value: list) -> None:
        StrawberryDjangoField.arguments.fset(self, value)

    def get_queryset(self, queryset, info, filter: ProductFilter | None = None, sort: ProductSort | None = None, **kwargs):
        if not get_queryset_config(queryset).optimized_by_prefetching:
            if filter is not None:
                queryset = selectors.filter_products(queryset, filter.to_query())
            queryset = selectors.sort_products(queryset, sort.to_order() if sort else selectors.ProductOrder())
        return super().get_queryset(queryset, info, **kwargs)


@strawberry_django.type(models.Category, name="Category", field_cls=ModelField)
class Category(ModelNode):
    slug: str
    name: str
    description: str
    parent: "Category | None"
    children: list["Category"]
    products: Connection["Product"] = connection(
        field_cls=ProductListField,
        field_name="listed_products",
        description="Products in this category and its descendants.",
    )


def _money(amount: Decimal) -> Money:
    return Money(amount=amount, currency=settings.SHOP_CURRENCY)


def _optional_money(amount: Decimal | None) -> Money | None:
    return None if amount is None else _money(amount)


@strawberry_django.type(models.Product, name="Product", field_cls=ModelField)
class Product(ModelNode):
    slug: str
    name: str
    description: str
    category: Category | None
    images: list[Image]
    variants: list["ProductVariant"]
    is_available: bool = strawberry_django.field(
        annotate=lambda info: models.product_is_available(), description="Published, with at least one variant in stock.",
        field_cls=ModelField,
    )
    reviews: Connection[Review] = connection(description="Newest first.")
    created_at: datetime
    is_published: bool = strawberry_django.field(
        description="Listed in the storefront; only staff ever see an unpublished product.", field_cls=ModelField)

    @strawberry_django.field(only=["min_price", "max_price", "compare_at_min_price", "compare_at_max_price"],
                             description="Current prices, a running sale's included.")
    def price_range(self) -> PriceRange:
        return PriceRange(min=_money(self.min_price), max=_money(self.max_price),
                          compare_at_min=_optional_money(self.compare_at_min_price),
                          compare_at_max=_optional_money(self.compare_at_max_price))

    @strawberry_django.field(only=["compare_at_min_price"], description="A running sale lowers the price of at "
                                                                        "least one of its variants.")
    def on_sale(self) -> bool:
        return self.compare_at_min_price is not None

    @strawberry_django.field(only=["seo_title", "seo_description", "name", "description"])
    def seo(self) -> Seo:
        title, description = self.seo()
        return Seo(title=title, description=description)

    @strawberry_django.field(only=["rating_average", "rating_count"])
    def rating(self) -> Rating:
        average = self.rating_average
        return Rating(average=None if average is None else float(average), count=self.rating_count)

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.visible_products(queryset, staff=viewer_is_staff(info))


@strawberry_django.type(models.ProductVariant, name="ProductVariant", field_cls=ModelField)
class ProductVariant(ModelNode):
    sku: str
    name: str
    product: Product
    is_available: bool = strawberry_django.field(
        annotate=lambda info: models.variant_is_available(), description="In stock, of a published product.",
        field_cls=ModelField,
    )
    quantity_available: int = strawberry_django.field(
        field_name="stock", description="Units that can be bought now.", field_cls=ModelField
    )

    @strawberry_django.field(only=["attributes"])
    def attributes(self) -> list[Attribute]:
        return [Attribute(name=str(a["name"]), value=str(a["value"])) for a in self.attributes]

    @strawberry_django.field(only=["price", "sale_price", "currency"],
                             description="What it sells for now: a running sale's price while one lowers it.")
    def price(self) -> Money:
        return Money(amount=self.current_price, currency=self.currency)

    @strawberry_django.field(only=["price", "sale_price", "currency"],
                             description="The regular price while a sale lowers `price`; null when not on sale.")
    def compare_at_price(self) -> Money | None:
        return None if self.sale_price is None else Money(amount=self.price, currency=self.currency)

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.visible_variants(queryset, staff=viewer_is_staff(info))


def _one_by_id_or_slug(model, node_type, id: strawberry.ID | None, slug: str | None):
    if (id is None) == (slug is None):
        raise BadUserInput("Give exactly one of 'id' and 'slug'.")
    if id is not None:
        return model.objects.filter(pk=decode_id(id, node_type, argument="id"))
    return model.objects.filter(slug=slug)


@strawberry.type
class CatalogQuery:
    products: Connection[Product] = connection(field_cls=ProductListField)

    @connection(Connection[Category])
    def categories(self, parent: strawberry.ID | None = None, level: int | None = None) -> Iterable[Category]:
        parent_id = None if parent is None else decode_id(parent, Category, argument="parent")
        return selectors.categories(parent_id=parent_id, level=level)

    @strawberry_django.field
    def product(self, id: strawberry.ID | None = None, slug: str | None = None) -> Product | None:
        return _one_by_id_or_slug(models.Product, Product, id, slug)

    @strawberry_django.field
    def category(self, id: strawberry.ID | None = None, slug: str | None = None) -> Category | None:
        return _one_by_id_or_slug(models.Category, Category, id, slug)
