"""Customers' reviews of products.

The product row is locked while a review is written and its rating re-aggregated in the same transaction, so two
reviews at once queue, and the second's aggregate (a new snapshot under READ COMMITTED) counts the first: the
stored rating always matches the reviews.
"""
from django.conf import settings
from django.db import IntegrityError, transaction

from commerce.errors import DomainError, DomainErrors
from commerce.validation import check_fields

from .models import Review
from .selectors import published_product
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


@transaction.atomic
def create_review(user, product_id: int, *, rating: int, title: str, body: str) -> Review:
    """One review per customer and product, on a published product; rating 1..5, a title, an optional body.
    With REVIEWS_REQUIRE_VERIFIED_EMAIL on, only from an account whose email is verified."""
    if settings.REVIEWS_REQUIRE_VERIFIED_EMAIL and not user.is_email_verified:
        raise ReviewError("Confirm your email address before writing a review.", code="EMAIL_NOT_VERIFIED")
    product = published_product(product_id, lock=True)
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
