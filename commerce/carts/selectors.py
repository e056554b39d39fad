"""Reading carts: who may see one, what it costs now, and what changed since its lines were added."""
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from commerce.carts.guards import not_purchasable
from commerce.carts.models import Cart, CartLine, ShippingMethod
from commerce.carts.pricing import Totals, price
from commerce.catalog.models import ProductVariant
from commerce.errors import NotFound
from commerce.permissions import is_signed_in, is_staff, visible_to


def visible_carts(viewer) -> QuerySet[Cart]:
    """Carts a caller may reach without a token (through `node`, `me.cart`): their own; staff see all."""
    return visible_to(Cart.objects.all(), viewer)


def carts_by_token(viewer, token: str) -> QuerySet[Cart]:
    """The cart with this token, if the caller may use it: a guest cart by its token alone; a cart that
    belongs to a user only for that user (or staff), so a leaked token is no way into an account's cart."""
    carts = Cart.objects.filter(token=token)
    if is_staff(viewer):
        return carts
    owner = Q(user__isnull=True) | (Q(user=viewer) if is_signed_in(viewer) else Q(pk__in=[]))
    return carts.filter(owner)


def cart_for_update(viewer, token: str) -> Cart:
    cart = carts_by_token(viewer, token).first()
    if cart is None:
        raise NotFound("No such cart.", field=["cartToken"])
    return cart


def _sums(cart: Cart) -> dict:
    unit_price = ProductVariant.current_price_expression("variant__")
    line_total = ExpressionWrapper(F("quantity") * unit_price, output_field=DecimalField(max_digits=14, decimal_places=2))
    return CartLine.objects.filter(cart=cart).aggregate(subtotal=Sum(line_total), quantity=Sum("quantity"))


def cart_subtotal(cart: Cart) -> Decimal:
    """The lines at today's prices (a running sale's included), summed by the database in one query."""
    return _sums(cart)["subtotal"] or Decimal(0)


@dataclass(frozen=True)
class CartTotals(Totals):
    quantity: int = 0


def cart_totals(cart: Cart) -> CartTotals:
    """The pricing function over the cart as it stands, and its item count, once per cart instance (one query)."""
    if not hasattr(cart, "_totals"):
        sums = _sums(cart)
        totals = price(
            subtotal=sums["subtotal"] or Decimal(0),
            currency=settings.SHOP_CURRENCY,
            now=timezone.now(),
            voucher=cart.voucher,
            shipping_method=cart.shipping_method,
            country_code=cart.shipping_address.country_code if cart.shipping_address else None,
        )
        cart._totals = CartTotals(**vars(totals), quantity=sums["quantity"] or 0)
    return cart._totals


@dataclass(frozen=True)
class CartWarning:
    line_id: int | None
    code: str
    message: str


def cart_warnings(cart: Cart) -> list[CartWarning]:
    """What changed since the customer chose their lines: price, stock, availability, and the voucher."""
    warnings = []
    for line in CartLine.objects.filter(cart=cart).select_related("variant__product"):
        variant = line.variant
        if problem := not_purchasable(variant, line.quantity):
            warnings.append(CartWarning(line.pk, problem.code, problem.message))
        if variant.current_price != line.price_when_added:  # a price edit, or a sale that started or ended
            warnings.append(CartWarning(line.pk, "PRICE_CHANGED", f"The price of {variant} changed from "
                                                                  f"{line.price_when_added} to {variant.current_price}."))
    if cart.voucher is not None and not cart_totals(cart).voucher_applies:
        warnings.append(CartWarning(None, "VOUCHER_INVALID", f"The voucher {cart.voucher.code} does not apply now."))
    return warnings


def shipping_methods(country_code: str | None = None) -> list[ShippingMethod]:
    """Active methods, and only those that ship to `country_code` when one is given."""
    return [m for m in ShippingMethod.objects.filter(is_active=True) if country_code is None or m.ships_to(country_code)]
