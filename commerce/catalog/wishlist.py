"""What customers keep for later: a list of products, most recently added first, capped at WISHLIST_MAX_ITEMS."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Subquery

from commerce.errors import DomainError

from .models import Product, WishlistItem
from .selectors import published_product


class WishlistError(DomainError):
    pass


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
    product = published_product(product_id)
    get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).first()
    if WishlistItem.objects.filter(user=user, product=product).exists():
        return
    limit = settings.WISHLIST_MAX_ITEMS
    if _listed(user).count() >= limit:
        raise WishlistError(f"A wishlist holds at most {limit} products: remove one to add another.",
                            code="QUANTITY_LIMIT", field=["productId"])
    WishlistItem.objects.bulk_create([WishlistItem(user=user, product=product)], ignore_conflicts=True)


def remove_from_wishlist(user, product_id: int) -> None:
    """Idempotent, and works for a product unpublished since it was added (which the list no longer shows)."""
    WishlistItem.objects.filter(user=user, product_id=product_id).delete()
