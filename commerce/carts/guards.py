"""What may be bought and sent where, each rule once: cart edits refuse with these, the cart warns with them,
and checkout refuses with them again under its locks, so the three never disagree on a rule or its words.

A guard returns the problem (None when there is none) rather than raising, so a caller can report every line's
problem at once; `field` is the caller's, since each names the offending input its own way.
"""
from commerce.carts.models import Cart
from commerce.catalog.models import ProductVariant
from commerce.errors import DomainError


def not_for_sale(variant: ProductVariant, *, field: list[str] | None = None) -> DomainError | None:
    if variant.product.is_published and not variant.is_archived:
        return None
    return DomainError(f"{variant} is not for sale.", code="NOT_PURCHASABLE", field=field)


def short_of_stock(variant: ProductVariant, quantity: int, *, field: list[str] | None = None) -> DomainError | None:
    if quantity <= variant.stock:
        return None
    message = f"{variant} is out of stock." if variant.stock <= 0 else f"Only {variant.stock} of {variant} left in stock."
    return DomainError(message, code="INSUFFICIENT_STOCK", field=field)


def not_purchasable(variant: ProductVariant, quantity: int, *, field: list[str] | None = None) -> DomainError | None:
    """Not for sale, or else short of stock: a line that is both is reported as the first."""
    return not_for_sale(variant, field=field) or short_of_stock(variant, quantity, field=field)


def does_not_ship(cart: Cart, *, field: list[str]) -> DomainError | None:
    """The cart's method cannot take the parcel to its address (either still unchosen is no problem here)."""
    method, address = cart.shipping_method, cart.shipping_address
    if method is None or address is None or method.ships_to(address.country_code):
        return None
    return DomainError(f"{method.name} does not ship to {address.country_code}.", code="SHIPPING_REQUIRED", field=field)
