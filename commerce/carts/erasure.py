"""What carts erase of an account being deleted (commerce.accounts.deletion): its cart, with the addresses the
cart held that no order holds. The catalog cannot hear accounts' signals (they are peers), so its erasure of the
wishlist and reviews' author names is called from here, the lowest app above both."""
from django.dispatch import receiver

from commerce.accounts.services import purge_unheld_copies
from commerce.accounts.signals import account_erasing
from commerce.carts.models import Cart
from commerce.catalog import erasure as catalog_erasure


@receiver(account_erasing)
def erase_cart(sender, *, user, **kwargs) -> None:
    carts = list(Cart.objects.select_for_update().filter(user=user))  # a checkout of it waits, then finds none
    addresses = [pk for cart in carts for pk in (cart.shipping_address_id, cart.billing_address_id) if pk]
    Cart.objects.filter(pk__in=[cart.pk for cart in carts]).delete()
    purge_unheld_copies(among=addresses)


@receiver(account_erasing)
def erase_wishlist_and_review_authors(sender, *, user, **kwargs) -> None:
    catalog_erasure.erase_customer(user)
