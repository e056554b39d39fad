"""What the catalog erases of an account being deleted: the wishlist goes; reviews stay (other shoppers read
them, and the product's rating counts them) but no longer name their author.

The catalog sits beside accounts and cannot hear its signals; commerce.carts.erasure, above both, calls this
when `account_erasing` is sent.
"""
from .models import Review, WishlistItem

DELETED_AUTHOR = "Deleted customer"


def erase_customer(user) -> None:
    WishlistItem.objects.filter(user=user).delete()
    Review.objects.filter(user=user).update(author_name=DELETED_AUTHOR)
