"""Whose an order is. One placed by a signed-in buyer is theirs, whoever made the cart (a guest cart taken over,
a cart shared by its token). A guest's order joins the account with its email once that account has proved the
email (it answers accounts' `email_verified`), and never before: anyone can type an address into a guest
checkout, and an unverified account proves nothing more."""
from django.dispatch import receiver

from commerce.accounts.models import User, normalize_email
from commerce.accounts.signals import email_verified
from commerce.carts.models import Cart
from commerce.orders.models import Order
from commerce.permissions import is_signed_in


def owner_of_new_order(buyer, cart: Cart) -> User | None:
    """The signed-in buyer; else the cart's owner (a service placing a user's cart for them); for a guest's
    cart, the account that has proved the cart's email, if there is one."""
    if is_signed_in(buyer):
        return buyer
    if cart.user_id is not None:
        return cart.user
    return User.objects.filter(email=normalize_email(cart.email), is_email_verified=True, is_active=True).first()


@receiver(email_verified)
def claim_guest_orders(sender, *, user_id: int, email: str, **kwargs) -> int:
    """The orders placed as a guest with `email` become the user's (their reviews then count as verified
    purchases, commerce.orders.purchases). Orders that have an owner keep it."""
    return Order.objects.filter(user__isnull=True, email=normalize_email(email)).update(user_id=user_id)
