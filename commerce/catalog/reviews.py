"""Customers' reviews, and what they keep for later (the wishlist).

A review and the product's rating move together: the product row is locked, the review written, and the
average and count recomputed by an aggregate in the same transaction. Two reviews of one product at once
queue on that lock, and the second's aggregate (a new statement, so a new snapshot under READ COMMITTED)
sees the first's review, so the stored rating is always exactly what the reviews say.
"""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Subquery

from commerce.errors import DomainError, DomainErrors, NotFound
from commerce.validation import check_fields

from .models import Product, Review, WishlistItem
from .services import refresh_ratings
from .signals import ask, product_bought


class ReviewError(DomainError):
    pass


def author_name(user) -> str:
    """What a review shows of its author: the first name and the initial of the last, never the email."""
    first, last = user.first_name.strip(), user.last_name.strip()
    return f"{first} {last[:1]}.".strip() if first and last else first or "Customer"


def has_bought(user, product_id: int) -> bool:
    """Paid for in an order that stands (orders answer: commerce.orders.purchases)."""
    return ask(product_bought, user=user, product_id=product_id)


def _published_product(product_id: int, *, lock: bool = False) -> Product:
    products = Product.objects.published()
    product = (products.select_for_update(no_key=True) if lock else products).filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.", field=["productId"])
    return product


@transaction.atomic
def create_review(user, product_id: int, *, rating: int, title: str, body: str) -> Review:
    """One review per customer and product, on a published product; rating 1..5, a title, an optional body."""
    product = _published_product(product_id, lock=True)
    review = Review(product=product, user=user, author_name=author_name(user), rating=rating, title=title.strip(),
                    body=body.strip())
    problems = []
    if not 1 <= rating <= 5:
        problems.append(ReviewError("The rating must be from 1 to 5.", field=["input", "rating"]))
    try:
        check_fields(review, ["title", "body"], path=["input"])
    except DomainError as invalid:
        problems.extend(invalid.errors)
    if problems:
        raise DomainErrors(problems)
    if Review.objects.filter(product=product, user=user).exists():
        raise ReviewError("You have already reviewed this product.", code="ALREADY_EXISTS", field=["productId"])
    review.verified_purchase = has_bought(user, product.pk)
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:  # the unique constraint, should anything bypass the lock
        raise ReviewError("You have already reviewed this product.", code="ALREADY_EXISTS",
                          field=["productId"]) from None
    refresh_ratings([product.pk])
    return review


def _listed(user):
    """The user's wishlist entries whose products are in the storefront, most recently added first."""
    return WishlistItem.objects.filter(user=user, product__is_published=True).order_by("-created_at", "-id")


def wishlist(user):
    """The user's wishlist as products, most recently added first; unpublished products drop out. At most
    WISHLIST_MAX_ITEMS: adds stop there, and products published again after it was full make it no longer."""
    newest = _listed(user).values("pk")[: settings.WISHLIST_MAX_ITEMS]
    return (Product.objects.filter(wishlist_items__in=Subquery(newest))
            .order_by("-wishlist_items__created_at", "-wishlist_items__id"))


@transaction.atomic
def add_to_wishlist(user, product_id: int) -> None:
    """Idempotent: a product already there stays once (the unique constraint settles two adds at once). A list
    holding WISHLIST_MAX_ITEMS products takes no new one (QUANTITY_LIMIT); the user's adds queue on their row so
    two at once cannot both take the last place."""
    product = _published_product(product_id)
    get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).first()
    if WishlistItem.objects.filter(user=user, product=product).exists():
        return
    limit = settings.WISHLIST_MAX_ITEMS
    if _listed(user).count() >= limit:
        raise ReviewError(f"A wishlist holds at most {limit} products: remove one to add another.",
                          code="QUANTITY_LIMIT", field=["productId"])
    WishlistItem.objects.bulk_create([WishlistItem(user=user, product=product)], ignore_conflicts=True)


def remove_from_wishlist(user, product_id: int) -> None:
    """Idempotent, and works for a product unpublished since it was added (which the list no longer shows)."""
    WishlistItem.objects.filter(user=user, product_id=product_id).delete()
