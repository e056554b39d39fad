"""Writes to the catalog, and the upkeep of what it derives.

Every writer (the admin, the seeder, the staff mutations, reviews) calls these after changing variants, reviews
or categories, so a product's price range, rating and place in the tree are stored and no read aggregates them.
"""
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Avg, Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from commerce.errors import DomainError

from . import pricing
from .models import Category, Product, Review


class CatalogError(DomainError):
    pass


def _scope(product_ids: Iterable[int] | None):
    products = Product.objects.all()
    return products if product_ids is None else products.filter(pk__in=list(product_ids))


def refresh_price_ranges(product_ids: Iterable[int] | QuerySet | None = None) -> None:
    """Store each variant's price under the sales running now, and each product's lowest and highest price (0 when
    it has no variants) and the undiscounted range while any of it is on sale (commerce.catalog.pricing)."""
    pricing.reprice(pricing.products_in(product_ids))


def refresh_ratings(product_ids: Iterable[int] | None = None) -> None:
    """Store each product's review average and count (average null while it has no reviews)."""
    reviews = Review.objects.filter(product=OuterRef("pk")).order_by().values("product")
    _scope(product_ids).update(
        rating_average=Subquery(reviews.annotate(v=Avg("rating")).values("v")),
        rating_count=Coalesce(Subquery(reviews.annotate(v=Count("pk")).values("v")), Value(0)),
    )


def _ancestry() -> dict[int, list[int]]:
    """Each category id with the ids of itself and all its ancestors. Catalogs hold hundreds of
    categories, not millions, so one query and a walk in memory beat a recursive query per product."""
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    ancestry = {}
    for category_id in parents:
        chain, current = [], category_id
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        ancestry[category_id] = chain
    return ancestry


def refresh_listings(product_ids: Iterable[int] | None = None) -> None:
    """List each product in its category and every ancestor, which is what `Category.products` and the
    `category` filter read."""
    ancestry = _ancestry()
    products = list(_scope(product_ids).values_list("pk", "category_id"))
    through = Product.listed_in.through
    with transaction.atomic():
        through.objects.filter(product_id__in=[pk for pk, _ in products]).delete()
        through.objects.bulk_create(
            [
                through(product_id=pk, category_id=category_id)
                for pk, leaf_id in products
                if leaf_id is not None
                for category_id in ancestry.get(leaf_id, [])
            ],
            batch_size=2000,
        )


def refresh_products(product_ids: Iterable[int] | None = None) -> None:
    """Everything derived from a product's variants, reviews and category, in one call for writers. Listings come
    first: a sale on a category reaches the products listed in it."""
    product_ids = None if product_ids is None else list(product_ids)
    refresh_listings(product_ids)
    refresh_price_ranges(product_ids)
    refresh_ratings(product_ids)


def subtree(category: Category) -> list[tuple[int, int | None]]:
    """(id, parent id) of the category and everything below it, parents before their children."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    subtree, frontier = [(category.pk, category.parent_id)], [category.pk]
    while frontier:
        below = [(child, pk) for pk in frontier for child in children.get(pk, [])]
        subtree.extend(below)
        frontier = [child for child, _ in below]
    return subtree


def would_cycle(category: Category, parent_id: int) -> bool:
    """Whether putting `category` under `parent_id` would make it its own ancestor."""
    return category.pk is not None and parent_id in {pk for pk, _ in subtree(category)}


def lock_tree() -> None:
    """Lock every category row (in primary-key order), as the first thing every write that touches the tree or a
    product's place in it does: so two moves at once can never close a cycle between them, a subtree cannot gain a
    product while it is being deleted, and listings are written against the tree as it is. Catalogs hold hundreds
    of categories and staff edit them rarely.

    FOR NO KEY UPDATE, not FOR UPDATE: inserting a row that references a category (a product, a listing) takes
    KEY SHARE on it, which FOR UPDATE blocks; a writer holding the tree while inserting listings would deadlock
    against one holding a listing's KEY SHARE while waiting for the tree."""
    list(Category.objects.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def save_category(category: Category, *, parent_field: list[str] | None = None) -> Category:
    """Save a new or edited category, keeping the tree acyclic, the levels of its subtree and the
    listings of the products below it right. `parent_field` names the parent as the caller's input does."""
    lock_tree()
    if category.parent_id is not None and would_cycle(category, category.parent_id):
        raise CatalogError("A category cannot be moved below itself.", field=parent_field or ["parent"])
    moved = category.pk is None or not Category.objects.filter(pk=category.pk, parent_id=category.parent_id).exists()
    if category.parent_id is not None:
        category.parent = Category.objects.get(pk=category.parent_id)  # its level as it is now, under the lock
    category.level = 0 if category.parent is None else category.parent.level + 1
    category.save()
    if moved:
        levels = {category.pk: category.level}
        for pk, parent_id in subtree(category)[1:]:
            levels[pk] = levels[parent_id] + 1
            Category.objects.filter(pk=pk).update(level=levels[pk])
        moved_products = Product.objects.filter(category_id__in=list(levels)).values_list("pk", flat=True)
        refresh_listings(moved_products)
        refresh_price_ranges(moved_products)  # a sale on a category it left or joined
    return category
