"""Reads of the catalog: who sees what, and the storefront's filters and sorts.

Plain values in, querysets out, so that GraphQL, the admin and benchmarks share one definition of
"products matching this filter, in this order". Conditions on variants are `Exists()` subqueries, never joins,
so a product matches once however many of its variants do.
"""
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import Enum

from django.db import connection
from django.db.models import (
    BigIntegerField, BooleanField, Case, Count, DecimalField, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet,
    Subquery, TextField, Value, When,
)
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan, LessThan

from commerce.errors import DomainError, NotFound

from .models import (
    AssignedValue, AttributeAssignment, AttributeValue, Category, ListedCount, Product, ProductAttribute,
    ProductVariant, Review, number_text,
)


class SortField(Enum):
    NAME = "name"
    PRICE = "price"
    CREATED_AT = "created_at"
    RATING = "rating"
    RELEVANCE = "relevance"


@dataclass(frozen=True)
class AttributeCondition:
    """A storefront's filter on one attribute, by slugs, as a client sends it: a product matches when it or any of
    its variants has any of `values` (value slugs; numbers and "true"/"false" for NUMBER and BOOLEAN), a number
    within [gte, lte], or the yes/no `boolean`."""

    slug: str
    values: tuple[str, ...] | None = None
    gte: float | None = None
    lte: float | None = None
    boolean: bool | None = None


@dataclass(frozen=True)
class AttributeMatch:
    """An AttributeCondition resolved against the definitions (attribute_matches): what the SQL compares."""

    attribute_id: int
    value_ids: frozenset[int] = frozenset()
    numbers: frozenset[Decimal] = frozenset()
    number_range: tuple[Decimal | None, Decimal | None] | None = None
    booleans: frozenset[bool] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.value_ids or self.numbers or self.number_range or self.booleans)


# Each attribute filter is a condition in every facet's set of products and a set of its own: a storefront shows a
# handful at once, and a hundred would make one request cost ten thousand subqueries.
MAX_ATTRIBUTE_FILTERS = 10


class UnknownAttribute(DomainError):
    """A filter naming an attribute or a value that does not exist (or a TEXT attribute, which filters nothing)."""


@dataclass(frozen=True)
class ProductQuery:
    search: str | None = None
    category_id: int | None = None  # the category and all its descendants
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool | None = None
    ids: list[int] | None = field(default=None)
    attributes: tuple[AttributeMatch, ...] = ()  # AND across attributes, OR within one


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
    for match in query.attributes:
        if match:
            products = products.filter(_has(match))
    return products


def _has(match: AttributeMatch) -> Q:
    """The product, or any of its variants, has one of the match's values: EXISTS over the assignments (and the
    chosen values), which carry the product even for a variant's option."""
    found = Q()
    if match.value_ids:
        found |= Exists(AssignedValue.objects.filter(product_id=OuterRef("pk"), value_id__in=match.value_ids))
    assignments = AttributeAssignment.objects.filter(product_id=OuterRef("pk"), attribute_id=match.attribute_id)
    if match.numbers:
        found |= Exists(assignments.filter(number__in=match.numbers))
    if match.number_range:
        low, high = match.number_range
        ranged = assignments.filter(number__isnull=False)
        ranged = ranged if low is None else ranged.filter(number__gte=low)
        found |= Exists(ranged if high is None else ranged.filter(number__lte=high))
    if match.booleans:
        found |= Exists(assignments.filter(boolean__in=match.booleans))
    return found


def _decimal(value, field: list[str]) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise UnknownAttribute(f"{value!r} is not a number.", field=field) from None
    if not number.is_finite():
        raise UnknownAttribute(f"{value!r} is not a number.", field=field)
    return number


def attribute_matches(conditions: list[AttributeCondition]) -> tuple[AttributeMatch, ...]:
    """Resolve a filter's attribute and value slugs in one query; an unknown one is UnknownAttribute naming it."""
    if not conditions:
        return ()
    if len(conditions) > MAX_ATTRIBUTE_FILTERS:
        raise UnknownAttribute(f"At most {MAX_ATTRIBUTE_FILTERS} attribute filters at once.",
                               field=["filter", "attributes"])
    slugs = {c.slug for c in conditions}
    rows = ProductAttribute.objects.filter(slug__in=slugs).values_list("slug", "pk", "type", "values__slug", "values__pk")
    attributes, values = {}, {}
    for slug, pk, kind, value_slug, value_pk in rows:
        attributes[slug] = (pk, kind)
        if value_slug is not None:
            values[(slug, value_slug)] = value_pk
    matches = []
    for i, condition in enumerate(conditions):
        at = ["filter", "attributes", str(i)]
        if condition.slug not in attributes:
            raise UnknownAttribute(f"No attribute has the slug {condition.slug!r}.", field=[*at, "slug"])
        pk, kind = attributes[condition.slug]
        given = list(condition.values or ())
        match = AttributeMatch(attribute_id=pk)
        if kind == ProductAttribute.Type.TEXT:
            raise UnknownAttribute(f"{condition.slug!r} is a TEXT attribute, which cannot be filtered on.",
                                   field=[*at, "slug"])
        if kind == ProductAttribute.Type.NUMBER:
            low = None if condition.gte is None else _decimal(condition.gte, [*at, "range", "gte"])
            high = None if condition.lte is None else _decimal(condition.lte, [*at, "range", "lte"])
            match = replace(match, numbers=frozenset(_decimal(v, [*at, "values"]) for v in given),
                            number_range=None if low is None and high is None else (low, high))
        elif kind == ProductAttribute.Type.BOOLEAN:
            booleans = set() if condition.boolean is None else {condition.boolean}
            for value in given:
                if value not in ("true", "false"):
                    raise UnknownAttribute(f"{condition.slug!r} is yes/no: its values are 'true' and 'false', "
                                           f"not {value!r}.", field=[*at, "values"])
                booleans.add(value == "true")
            match = replace(match, booleans=frozenset(booleans))
        else:
            unknown = [v for v in given if (condition.slug, v) not in values]
            if unknown:
                raise UnknownAttribute(f"{condition.slug!r} has no value {unknown[0]!r}.", field=[*at, "values"])
            match = replace(match, value_ids=frozenset(values[(condition.slug, v)] for v in given))
        matches.append(match)
    return tuple(matches)


@dataclass(frozen=True)
class FacetValue:
    value: AttributeValue
    count: int


@dataclass(frozen=True)
class Facet:
    attribute: ProductAttribute
    values: list[FacetValue]


def facets(products: QuerySet[Product], query: ProductQuery) -> list[Facet]:
    """Each filterable attribute's values with how many of `products` have them under every filter of `query` but
    the attribute's own (so choosing Red still shows how many are Blue), as storefront faceting counts.
    CHOICE and MULTI_CHOICE list every value, at 0 when no product has it; NUMBER lists the numbers present,
    BOOLEAN true and false.

    Three queries whatever the number of attributes: the filterable definitions, their values, and ONE statement
    of grouped counts (_count_facets).
    """
    attributes = list(ProductAttribute.objects.filter(filterable=True).exclude(type=ProductAttribute.Type.TEXT)
                      .order_by("name", "pk").prefetch_related("values"))
    if not attributes:
        return []
    filtered = {m.attribute_id for m in query.attributes if m}

    def matching(but: int | None = None):
        others = tuple(m for m in query.attributes if m.attribute_id != but)
        return filter_products(products, replace(query, attributes=others)).order_by().values_list("pk")

    groups = [([a for a in attributes if a.pk not in filtered], matching())]
    groups += [([a], matching(but=a.pk)) for a in attributes if a.pk in filtered]
    counts = _count_facets([(members, products_in) for members, products_in in groups if members])
    return [Facet(attribute=a, values=_facet_values(a, counts.get(a.pk, {}))) for a in attributes]


def _count_facets(groups: list[tuple[list[ProductAttribute], QuerySet]]) -> dict[int, dict]:
    """{attribute id: {value id, number or yes/no: products}} for groups of attributes each counted over its own
    set of products, in one statement.

    Each set of products is computed once, as a (materialized) common table expression: a set is every filter
    but one attribute's, so computing it again for each kind of count was most of the time at 100,000 products.
    The chosen values (CHOICE, MULTI_CHOICE) are counted from AssignedValue's (product, attribute, value) index,
    numbers and yes/no's from the assignments', every part joined with UNION ALL.
    """
    materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    tables, table_params, parts = [], [], []
    for n, (members, products_in) in enumerate(groups):
        sql, params = products_in.query.sql_with_params()
        tables.append(f"facet_products_{n} AS {materialized}({sql})")
        table_params.extend(params)
        in_set = RawSQL(f'SELECT * FROM facet_products_{n}', ())
        chosen = [a.pk for a in members if a.has_values]
        typed = [a.pk for a in members if not a.has_values]
        if chosen:
            parts.append(AssignedValue.objects.filter(attribute_id__in=chosen, product_id__in=in_set).order_by()
                         .values_list("attribute_id", "value_id", Value(None, output_field=DecimalField()),
                                      Value(None, output_field=BooleanField()))
                         .annotate(products=Count("product_id", distinct=True)))
        if typed:
            parts.append(AttributeAssignment.objects.filter(attribute_id__in=typed, product_id__in=in_set)
                         .filter(Q(number__isnull=False) | Q(boolean__isnull=False)).order_by()
                         .values_list("attribute_id", Value(None, output_field=BigIntegerField()), "number", "boolean")
                         .annotate(products=Count("product_id", distinct=True)))
    sql, params = parts[0].union(*parts[1:], all=True).query.sql_with_params() if len(parts) > 1 else (
        parts[0].query.sql_with_params())
    counts: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(tables)} {sql}", [*table_params, *params])
        for attribute_id, value_id, number, boolean, count in cursor.fetchall():
            key = (value_id if value_id is not None else Decimal(str(number)) if number is not None
                   else None if boolean is None else bool(boolean))
            if key is not None:
                counts.setdefault(attribute_id, {})[key] = count
    return counts


def _facet_values(attribute: ProductAttribute, counts: dict) -> list[FacetValue]:
    if attribute.type == ProductAttribute.Type.NUMBER:
        return [FacetValue(AttributeValue(attribute=attribute, slug=number_text(n), name=number_text(n)), count)
                for n, count in sorted(counts.items())]
    if attribute.type == ProductAttribute.Type.BOOLEAN:
        return [FacetValue(AttributeValue(attribute=attribute, slug=str(b).lower(), name="Yes" if b else "No"),
                           counts.get(b, 0)) for b in (True, False)]
    return [FacetValue(value, counts.get(value.pk, 0)) for value in attribute.values.all()]


# What an unrated product sorts as, so that RATING has one non-null key (which an expression index serves and a
# cursor carries) and unrated products come after rated ones in both directions: above 5 ascending, below 1 descending.
UNRATED_ASCENDING = Decimal("10")
UNRATED_DESCENDING = Decimal("-1")


def sort_key(order: ProductOrder, *, searched: bool = False) -> tuple[Expression, bool] | None:
    """The one value an order sorts by before the primary key, and whether it runs descending; None for RELEVANCE
    with a search, whose rank is computed per matching row and so held by no index (those pages stay offset-based).

    Each is served by an index of commerce.catalog.models.Product (scanned backwards for the other direction), so
    a page after a cursor is an index range read, whatever the catalog's size.
    """
    descending = order.descending
    if order.field is SortField.RELEVANCE:
        if searched:
            return None
        return F("created_at"), not descending  # without a search the best match is the newest (rank 1 is first)
    if order.field is SortField.RATING:
        unrated = UNRATED_DESCENDING if descending else UNRATED_ASCENDING
        return Coalesce("rating_average", Value(unrated), output_field=DecimalField(max_digits=3, decimal_places=2)), \
            descending
    column = {SortField.NAME: "name", SortField.PRICE: "min_price", SortField.CREATED_AT: "created_at"}[order.field]
    return F(column), descending


def sort_products(products: QuerySet[Product], order: ProductOrder) -> QuerySet[Product]:
    """Order by the requested field with the primary key as the tie-break, so pages never overlap; the key is
    annotated as `sort_key`, what a keyset cursor carries.

    RELEVANCE reads as a rank (the best match is rank 1), so ascending puts the best match first; without a
    search it ranks the newest first. Unrated products come after rated ones either way.
    """
    key = sort_key(order, searched="search_rank" in products.query.annotations)
    if key is None:
        best_first = not order.descending
        return products.order_by(F("search_rank").desc() if best_first else F("search_rank").asc(),
                                 F("created_at").desc() if best_first else F("created_at").asc(),
                                 F("pk").desc() if best_first else F("pk").asc())
    expression, descending = key
    products = products.annotate(sort_key=expression)
    if descending:
        return products.order_by(F("sort_key").desc(), F("pk").desc())
    return products.order_by(F("sort_key").asc(), F("pk").asc())


def _row(*expressions) -> Func:
    return Func(*expressions, template="(%(expressions)s)", output_field=TextField())


def beyond(key, pk: int, *, descending: bool, before: bool = False) -> Q:
    """The products after (key, pk) in a `sort_products` order (before it when `before`): a keyset page's rows.

    A row-value comparison, `(key, id) > (k, p)`, which PostgreSQL reads as one range of the (key, id) index: the
    scan starts at the cursor even where thousands of products share the key (ratings do), where the equivalent
    `key > k OR (key = k AND id > p)` would filter its way through every tie. SQLite has row values too.
    """
    row, cursor = _row(F("sort_key"), F("pk")), _row(Value(key), Value(pk))
    return Q(GreaterThan(row, cursor) if descending == before else LessThan(row, cursor))


def _maintained_count(query: ProductQuery, *, staff: bool, within: int | None) -> QuerySet | None:
    """The ListedCount row that counts this list, for the storefront's common shapes (every published product, or
    one category's with its descendants, by filter or as the category's own list `within`) on PostgreSQL, where
    triggers keep it; None for any other list."""
    if staff or query != ProductQuery(category_id=query.category_id) or connection.vendor != "postgresql":
        return None
    categories = {query.category_id, within} - {None}
    if len(categories) > 1:  # a category's list filtered by another: their intersection
        return None
    key = categories.pop() if categories else ListedCount.WHOLE_CATALOG
    return ListedCount.objects.filter(pk=key).values("products")


def total_count(products: QuerySet[Product], query: ProductQuery, *, staff: bool,
                within: int | None = None) -> Expression:
    """How many products a list holds, exactly, as an uncorrelated subquery a page's query selects beside its rows
    (PostgreSQL evaluates it once, as an InitPlan, so the count costs no round trip of its own). Asked only when a
    client selects `totalCount`: the maintained count by primary key for the common shapes, else one COUNT of the
    filtered list (never an estimate). `within`: the category whose own list (`Category.products`) this is.
    """
    counted = _maintained_count(query, staff=staff, within=within)
    if counted is None:
        counted = products.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted), Value(0), output_field=IntegerField())


def count_products(products: QuerySet[Product], query: ProductQuery, *, staff: bool, within: int | None = None) -> int:
    """`total_count` on its own, for a page with no row to carry it."""
    counted = _maintained_count(query, staff=staff, within=within)
    if counted is None:
        return products.order_by().count()
    return counted.values_list("products", flat=True).first() or 0


def categories(*, parent_id: int | None = None, level: int | None = None) -> QuerySet[Category]:
    found = Category.objects.all()
    if parent_id is not None:
        found = found.filter(parent_id=parent_id)
    if level is not None:
        found = found.filter(level=level)
    return found.order_by("name", "pk")


def product_attributes(*, filterable: bool | None = None) -> QuerySet[ProductAttribute]:
    found = ProductAttribute.objects.all()
    return found if filterable is None else found.filter(filterable=filterable)


def published_product(product_id: int, *, lock: bool = False) -> Product:
    """The storefront's product that a customer acts on (reviews, the wishlist), or NOT_FOUND on `productId`."""
    products = Product.objects.published()
    product = (products.select_for_update(no_key=True) if lock else products).filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.", field=["productId"])
    return product
