"""Reads of the catalog: who sees what, and the storefront's filters and sorts.

Plain values in, querysets out, so that GraphQL, the admin and benchmarks share one definition of
"products matching this filter, in this order". Conditions on variants are `Exists()` subqueries, never joins,
so a product matches once however many of its variants do.
"""
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from django.db import connection
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from commerce.errors import NotFound

from .models import Category, Product, ProductVariant, Review


class SortField(Enum):
    NAME = "name"
    PRICE = "price"
    CREATED_AT = "created_at"
    RATING = "rating"
    RELEVANCE = "relevance"


@dataclass(frozen=True)
class ProductQuery:
    search: str | None = None
    category_id: int | None = None  # the category and all its descendants
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool | None = None
    ids: list[int] | None = field(default=None)


@dataclass(frozen=True)
class ProductOrder:
    field: SortField = SortField.CREATED_AT
    descending: bool = True


def visible_products(products: QuerySet[Product], *, staff: bool) -> QuerySet[Product]:
    """Unpublished products exist only for staff."""
    return products if staff else products.filter(is_published=True)


def visible_variants(variants: QuerySet[ProductVariant], *, staff: bool) -> QuerySet[ProductVariant]:
    return variants if staff else variants.filter(product__is_published=True)


def visible_reviews(reviews: QuerySet[Review], *, staff: bool) -> QuerySet[Review]:
    """A review is seen where its product is: an unpublished product's reviews exist only for staff."""
    return reviews if staff else reviews.filter(product__is_published=True)


def _search_terms(text: str) -> list[str]:
    return [term for term in text.split() if term][:10]


def _uses_full_text_search() -> bool:
    return connection.vendor == "postgresql"


def _search(products: QuerySet[Product], text: str) -> QuerySet[Product]:
    """Rank by PostgreSQL full-text search (stored vector, GIN index, web-search syntax); elsewhere, match
    every word in the name or description and rank name matches first."""
    if _uses_full_text_search():
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(text, search_type="websearch", config="english")
        return products.filter(search_vector=query).annotate(search_rank=SearchRank(F("search_vector"), query))
    condition, name_hits = Q(), Q()
    for term in _search_terms(text):
        condition &= Q(name__icontains=term) | Q(description__icontains=term)
        name_hits &= Q(name__icontains=term)
    return products.filter(condition).annotate(
        search_rank=Case(When(name_hits, then=Value(1)), default=Value(0), output_field=IntegerField())
    )


def filter_products(products: QuerySet[Product], query: ProductQuery) -> QuerySet[Product]:
    if query.search and query.search.strip():
        products = _search(products, query.search.strip())
    if query.category_id is not None:
        listings = Product.listed_in.through.objects.filter(product_id=OuterRef("pk"), category_id=query.category_id)
        products = products.filter(Exists(listings))
    if query.price_min is not None or query.price_max is not None:  # at the price it sells for now, sales included
        priced = ProductVariant.objects.filter(product_id=OuterRef("pk")).alias(
            current_price=ProductVariant.current_price_expression())
        if query.price_min is not None:
            priced = priced.filter(current_price__gte=query.price_min)
        if query.price_max is not None:
            priced = priced.filter(current_price__lte=query.price_max)
        products = products.filter(Exists(priced))
    if query.in_stock is not None:
        stocked = Exists(ProductVariant.objects.filter(product_id=OuterRef("pk"), stock__gt=0))
        products = products.filter(stocked if query.in_stock else ~stocked)
    if query.ids is not None:
        products = products.filter(pk__in=query.ids)
    return products


def sort_products(products: QuerySet[Product], order: ProductOrder) -> QuerySet[Product]:
    """Order by the requested field with the primary key as the tie-break, so pages never overlap.

    RELEVANCE reads as a rank (the best match is rank 1), so ascending puts the best match first; without a
    search it ranks the newest first. Unrated products come after rated ones either way.
    """
    desc = order.descending
    if order.field is SortField.RELEVANCE:
        searched = "search_rank" in products.query.annotations
        best_first = not desc
        keys = [F("search_rank").desc() if best_first else F("search_rank").asc()] if searched else []
        keys.append(F("created_at").desc() if best_first else F("created_at").asc())
        keys.append(F("pk").desc() if best_first else F("pk").asc())
        return products.order_by(*keys)
    column = {
        SortField.NAME: "name",
        SortField.PRICE: "min_price",
        SortField.CREATED_AT: "created_at",
        SortField.RATING: "rating_average",
    }[order.field]
    if order.field is SortField.RATING:  # the one nullable key: unrated products last
        key = F(column).desc(nulls_last=True) if desc else F(column).asc(nulls_last=True)
    else:  # plain ASC/DESC, which the (column, id) indexes serve
        key = F(column).desc() if desc else F(column).asc()
    return products.order_by(key, F("pk").desc() if desc else F("pk").asc())


def categories(*, parent_id: int | None = None, level: int | None = None) -> QuerySet[Category]:
    found = Category.objects.all()
    if parent_id is not None:
        found = found.filter(parent_id=parent_id)
    if level is not None:
        found = found.filter(level=level)
    return found.order_by("name", "pk")


def published_product(product_id: int, *, lock: bool = False) -> Product:
    """The storefront's product that a customer acts on (reviews, the wishlist), or NOT_FOUND on `productId`."""
    products = Product.objects.published()
    product = (products.select_for_update(no_key=True) if lock else products).filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.", field=["productId"])
    return product
