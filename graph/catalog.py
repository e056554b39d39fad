"""The catalog part of the contract: categories, products, variants, images and reviews, and the products' facets
(the attribute types are in graph.catalog_attributes).

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
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, QuerySet, Sum, Value, When, Window
from django.db.models.functions import RowNumber
from strawberry import relay
from strawberry.relay.utils import SliceMetadata
from strawberry.types import Info
from strawberry_django.arguments import argument
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.optimizer import mark_optimized_by_prefetching
from strawberry_django.pagination import apply_window_pagination
from strawberry_django.queryset import get_queryset_config
from strawberry_django.relay import DjangoListConnection as Connection
# strawberry-django's own test of whether `totalCount` is selected (what it annotates its window count for)
from strawberry_django.relay.list_connection import _should_optimize_total_count as counts_asked
from strawberry_django.relay.utils import resolve_edge_class

from commerce.catalog import models, selectors
from graph.catalog_attributes import (
    AttributeFilter, Facet, ProductAttribute, SelectedAttribute, product_attributes_field,
)
from graph.core.context import viewer_is_staff
from graph.core.cursors import keyset_cursor, make_keyset_cursor, offset_cursor
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
    attributes: list[AttributeFilter] | None = strawberry.field(
        default=None, description="AND across attributes, OR within one; a product matches an option when any of its "
                                  "variants has it.")

    def to_query(self) -> selectors.ProductQuery:
        """The filter as the selectors take it; the attribute slugs are looked up once per filter (the list and its
        facets share it), and an unknown one is BAD_USER_INPUT naming it."""
        if "_query" not in self.__dict__:
            self.__dict__["_query"] = selectors.ProductQuery(
                search=self.search,
                category_id=None if self.category is None else decode_id(self.category, Category, argument="category"),
                price_min=self.price_min,
                price_max=self.price_max,
                in_stock=self.in_stock,
                ids=None if self.ids is None else [decode_id(i, Product, argument="ids") for i in self.ids],
                attributes=self._attribute_matches(),
            )
        return self.__dict__["_query"]

    def _attribute_matches(self) -> tuple[selectors.AttributeMatch, ...]:
        try:
            return selectors.attribute_matches([a.to_condition() for a in self.attributes or ()])
        except selectors.UnknownAttribute as unknown:
            raise BadUserInput(unknown.message, argument=".".join(unknown.field)) from None


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
        prefetching = kwargs.get("_strawberry_related_field_id") is not None
        if not get_queryset_config(queryset).optimized_by_prefetching:
            if filter is not None:
                queryset = selectors.filter_products(queryset, filter.to_query())
            queryset = selectors.sort_products(queryset, sort.to_order() if sort else selectors.ProductOrder())
        else:
            prefetching = False
        queryset = super().get_queryset(queryset, info, **kwargs)
        # windowed last, over what the type lets the viewer see, as the optimizer would
        if not prefetching:
            return queryset
        return self._page_for_prefetch(queryset, info, sort.to_order() if sort else selectors.ProductOrder(), kwargs)

    def _page_for_prefetch(self, queryset, info, order: selectors.ProductOrder, kwargs):
        """Each parent's page, windowed in the one prefetch query, as the optimizer does for a connection.

        The optimizer windows a nested connection only when its type is exactly DjangoListConnection (checked by
        identity); ProductConnection subclasses it to add `facets`, so without this `Category.products` would
        prefetch every product of every category on the page and slice them in Python."""
        extension = next(e for e in self.extensions if hasattr(e, "connection_type") and hasattr(e, "max_results"))
        position = _Position(order, queryset, after=kwargs.get("after"), before=kwargs.get("before"))
        if position.keyset and position.keysets:
            return mark_optimized_by_prefetching(_keyset_window(queryset, position, kwargs))
        edge_class = resolve_edge_class(extension.connection_type)
        window = SliceMetadata.from_arguments(
            info, first=kwargs.get("first"), last=kwargs.get("last"), before=kwargs.get("before"),
            after=kwargs.get("after"), max_results=extension.max_results, prefix=edge_class.CURSOR_PREFIX)
        reverse = window.expected is None
        queryset = apply_window_pagination(
            queryset, related_field_id=kwargs["_strawberry_related_field_id"], offset=window.start,
            limit=kwargs.get("last") if reverse else window.end - window.start,
            max_results=extension.max_results, reverse=reverse)
        return mark_optimized_by_prefetching(queryset)


def _keyset_window(queryset, position: "_Position", kwargs):
    """Every parent's page after (and before) keyset cursors in one prefetch query. Each row keeps its row number
    and its parent's total over the whole list, as an offset window has them (so page info and `totalCount` read
    the same); the cursors' places are counted in the same pass: the rows at or before `after`, those before
    `before`. A nested page is read whole per parent either way (a window numbers every row of its partition)."""
    if kwargs.get("first") is None:
        raise BadUserInput("A nested page after a cursor takes `first`.", argument="last")
    partition = kwargs["_strawberry_related_field_id"]
    _, descending = position.key
    order_by = [expression for expression, _ in queryset.query.get_compiler(using=queryset.db).get_order_by()]
    queryset = queryset.annotate(
        _strawberry_row_number=Window(RowNumber(), partition_by=partition, order_by=order_by),
        _strawberry_total_count=Window(Count(1), partition_by=partition),
    )
    number = Window(RowNumber(), partition_by=partition, order_by=order_by)
    if "after" in position.keysets:  # the place after the cursor: the row number less the rows up to the cursor
        key, pk = position.keysets["after"]
        passed = Case(When(selectors.beyond(key, pk, descending=descending), then=0), default=1)
        number = number - Window(Sum(passed), partition_by=partition)
    # One expression compared with constants: Django's filtering on windows mis-selects columns when one window
    # annotation is compared with another.
    queryset = queryset.annotate(_place=number).filter(_place__gt=0, _place__lte=kwargs["first"])
    if "before" in position.keysets:
        key, pk = position.keysets["before"]
        ahead = Case(When(selectors.beyond(key, pk, descending=descending, before=True), then=0), default=1)
        queryset = queryset.annotate(_beyond_before=Window(Sum(ahead), partition_by=partition, order_by=order_by))
        queryset = queryset.filter(_beyond_before=0)
    return queryset


@strawberry_django.type(models.Category, name="Category", field_cls=ModelField)
class Category(ModelNode):
    slug: str
    name: str
    description: str
    parent: "Category | None"
    children: list["Category"]
    products: "ProductConnection" = connection(
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
    attributes: list[SelectedAttribute] = product_attributes_field()

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

    options: list[SelectedAttribute] = strawberry_django.field(
        description="What tells this variant apart from its siblings (Size: M).")

    @strawberry_django.field(
        prefetch_related=[Prefetch("options", to_attr="option_pairs", queryset=models.AttributeAssignment.objects
                                   .select_related("attribute").prefetch_related("values"))],
        description="The variant's options as plain name/value pairs (several values joined with \", \").")
    def attributes(self) -> list[Attribute]:
        options = getattr(self, "option_pairs", None)
        if options is None:
            options = self.options.select_related("attribute").prefetch_related("values")
        return [Attribute(name=o.attribute.name, value=", ".join(v.name for v in o.shown_values())) for o in options]

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


class _Position:
    """Where a page of products starts, read from its cursors: keyset (the default) or offset (a cursor from before
    keyset cursors, or RELEVANCE with a search, which no index holds in rank order)."""

    def __init__(self, order: selectors.ProductOrder, nodes, *, after: str | None, before: str | None):
        self.key = selectors.sort_key(order, searched=isinstance(nodes, QuerySet)
                                      and "search_rank" in nodes.query.annotations)
        self.order_name = f"{order.field.name}:{'DESC' if order.descending else 'ASC'}"
        self.field = order.field
        cursors = {"after": after, "before": before}
        offsets = [name for name, c in cursors.items() if c is not None and offset_cursor(c) is not None]
        self.keysets = {name: self._read(name, c) for name, c in cursors.items()
                        if c is not None and name not in offsets}
        if offsets and self.keysets:
            raise BadUserInput("Give 'after' and 'before' from the same page of results.", argument=offsets[0])
        if self.keysets and self.key is None:
            raise BadUserInput("A search ranked by RELEVANCE pages by offset: this cursor is from another list.",
                               argument=next(iter(self.keysets)))
        self.keyset = self.key is not None and not offsets

    def _read(self, argument: str, cursor: str):
        keyset = keyset_cursor(cursor)
        if keyset is None or keyset.order != self.order_name:
            raise BadUserInput(f"Argument '{argument}' is a cursor of another list or sort order.", argument=argument)
        try:
            return _KEY_TYPES[self.field](keyset.key), keyset.pk
        except (TypeError, ValueError, ArithmeticError):
            raise BadUserInput(f"Argument '{argument}' is not a cursor from this API.", argument=argument) from None

    def cursor(self, product) -> str:
        return make_keyset_cursor(self.order_name, _key_text(product.sort_key), product.pk)


def _datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a cursor's moment has its offset")
    return moment


def _decimal(text: str) -> Decimal:
    number = Decimal(text)
    if not number.is_finite():
        raise ValueError("not a number")
    return number


_KEY_TYPES = {
    selectors.SortField.NAME: str, selectors.SortField.PRICE: _decimal, selectors.SortField.RATING: _decimal,
    selectors.SortField.CREATED_AT: _datetime, selectors.SortField.RELEVANCE: _datetime,
}


def _key_text(key) -> str:
    return key.isoformat() if isinstance(key, datetime) else str(key)


@strawberry.type(name="ProductConnection")
class ProductConnection(Connection[Product]):
    """A page of products and, for the filter it was asked with, the facets beside it.

    Top-level pages are keyset pages (_keyset_page): their cursors carry the sort key and the id, so a page 50,000
    deep is an index range read and products added meanwhile shift nothing. Cursors of before (offsets) still page.
    `totalCount` is counted only when asked, from a maintained count for the common shapes (selectors.count_products).

    A subclass of DjangoListConnection, so the optimizer no longer windows it when nested: ProductListField does
    (see _page_for_prefetch). Facets cost three queries (selectors.facets) wherever the connection is; asked under
    `Category.products` they are computed per category, so a storefront asks them on the top-level `products`.
    """

    product_filter: strawberry.Private[ProductFilter | None] = None
    listed_in: strawberry.Private[int | None] = None

    @classmethod
    def resolve_connection(cls, nodes, *, info: Info, filter: ProductFilter | None = None,
                           sort: ProductSort | None = None, before: str | None = None, after: str | None = None,
                           first: int | None = None, last: int | None = None, **kwargs):
        nested = isinstance(nodes, QuerySet) and get_queryset_config(nodes).optimized_by_prefetching
        # A category's own list (Category.products) is its related manager's queryset, which Django marks with the
        # category: its facets and its count are within that category.
        parent = getattr(nodes, "_hints", {}).get("instance")
        listed_in = parent.pk if isinstance(parent, models.Category) else None
        position = _Position(sort.to_order() if sort else selectors.ProductOrder(), nodes, after=after, before=before)
        if position.keyset and not nested and isinstance(nodes, QuerySet):
            query = filter.to_query() if filter else selectors.ProductQuery()
            resolved = cls._keyset_page(nodes, info, position, query, listed_in, first=first, last=last, **kwargs)
        else:
            resolved = super().resolve_connection(nodes, info=info, sort=sort, before=before, after=after,
                                                  first=first, last=last, **kwargs)
            if nested and position.keyset:  # windowed by row number, each row carries its sort key: cursors of both
                for edge in resolved.edges:
                    edge.cursor = position.cursor(edge.node)
                if resolved.edges:
                    resolved.page_info.start_cursor = resolved.edges[0].cursor
                    resolved.page_info.end_cursor = resolved.edges[-1].cursor
        resolved.product_filter, resolved.listed_in = filter, listed_in
        return resolved

    @classmethod
    def _keyset_page(cls, nodes: QuerySet, info: Info, position: _Position, query: selectors.ProductQuery,
                     listed_in: int | None, *, first: int | None, last: int | None, **kwargs):
        """The rows after `after` and before `before`, `first` of them from the start or `last` from the end, read
        one past the page to know whether there are more: a LIMIT over an index range, never an OFFSET."""
        _, descending = position.key
        page = nodes
        if counts_asked(info):
            page = page.annotate(_strawberry_total_count=selectors.total_count(
                nodes, query, staff=viewer_is_staff(info), within=listed_in))
        for name, (key, pk) in position.keysets.items():
            page = page.filter(selectors.beyond(key, pk, descending=descending, before=name == "before"))
        backward = first is None and last is not None
        wanted = last if backward else first
        rows = list((page.reverse() if backward else page)[:wanted + 1])
        more, rows = len(rows) > wanted, rows[:wanted]
        if backward:
            rows.reverse()
            has_previous, has_next = more, "before" in position.keysets
        else:
            has_previous, has_next = "after" in position.keysets, more
            if last is not None and len(rows) > last:  # first and last together: the end of the first `first`
                rows, has_previous = rows[len(rows) - last:], True
        edge_class = resolve_edge_class(cls)
        edges = [edge_class(cursor=position.cursor(row), node=cls.resolve_node(row, info=info, **kwargs))
                 for row in rows]
        connection = cls(edges=edges, page_info=relay.PageInfo(
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=has_previous, has_next_page=has_next))
        connection.nodes = nodes
        return connection

    @strawberry.field(description="How many products the list holds under its filter, exactly; counted only when "
                                  "asked (a maintained count for the whole catalog and for a category).")
    def total_count(self, info: Info) -> int | None:
        try:
            return self.edges[0].node._strawberry_total_count  # a nested page's window, or an offset page's
        except (IndexError, AttributeError):
            pass
        query = self.product_filter.to_query() if self.product_filter else selectors.ProductQuery()
        return selectors.count_products(self.nodes, query, staff=viewer_is_staff(info), within=self.listed_in)

    @strawberry.field(description="For each filterable attribute, its values with how many products have them under "
                                  "every other filter given but its own (choosing Red still counts Blue).")
    def facets(self, info: Info) -> list[Facet]:
        query = self.product_filter.to_query() if self.product_filter else selectors.ProductQuery()
        products = selectors.visible_products(models.Product.objects.all(), staff=viewer_is_staff(info))
        if self.listed_in is not None:
            listings = models.Product.listed_in.through.objects.filter(product_id=OuterRef("pk"),
                                                                      category_id=self.listed_in)
            products = products.filter(Exists(listings))
        return [Facet.of(facet) for facet in selectors.facets(products, query)]


@strawberry.type
class CatalogQuery:
    products: ProductConnection = connection(field_cls=ProductListField)

    @connection(Connection[ProductAttribute], description="The attribute definitions, by name; public, as "
                                                          "storefronts build their filters from them.")
    def product_attributes(self, filterable: bool | None = None) -> Iterable[ProductAttribute]:
        return selectors.product_attributes(filterable=filterable)

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
