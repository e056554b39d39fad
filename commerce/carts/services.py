"""Carts: lines, contact and delivery details, vouchers, and merging a guest's cart on sign-in or sign-up.

Stock is checked here, not taken: it is taken by checkout, in one transaction with the order. Edits to one
cart are serialized by locking its row, so two tabs adding the same variant cannot both pass the stock check.
"""
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from commerce.accounts import services as accounts
from commerce.accounts import social
from commerce.accounts.models import Address, User, normalize_email
from commerce.accounts.services import copy_address, fill_address
from commerce.accounts.tokens import TokenPair
from commerce.carts import counters
from commerce.carts.guards import does_not_ship, not_for_sale, short_of_stock
from commerce.carts.models import Cart, CartLine, ShippingMethod, Voucher
from commerce.carts.selectors import cart_subtotal
from commerce.carts.pricing import voucher_problem
from commerce.catalog.models import ProductVariant
from commerce.errors import DomainError, DomainErrors, NotFound
from commerce.permissions import get_owned, is_signed_in


class CartError(DomainError):
    pass


@dataclass(frozen=True)
class LineRequest:
    variant_id: int
    quantity: int


@dataclass(frozen=True)
class LineUpdate:
    line_id: int
    quantity: int  # 0 removes the line


@dataclass(frozen=True)
class CartDetails:
    """What cartUpdate may change; None leaves a detail as it is."""

    email: str | None = None
    shipping_address: dict | None = None
    shipping_address_id: int | None = None
    billing_address: dict | None = None
    shipping_method_id: int | None = None


def _locked(cart: Cart) -> Cart:
    return Cart.objects.select_for_update().get(pk=cart.pk)


def _line_problem(variant: ProductVariant | None, quantity: int, path: list[str]) -> DomainError | None:
    """Why `quantity` of `variant` cannot be in a cart (an error on the line's fields), or None."""
    if variant is None:
        return NotFound("This product variant does not exist.", field=[*path, "variantId"])
    if problem := not_for_sale(variant, field=[*path, "variantId"]):
        return problem
    if not 1 <= quantity <= settings.CART_LINE_MAX_QUANTITY:
        return CartError(f"The quantity must be between 1 and {settings.CART_LINE_MAX_QUANTITY}.",
                         code="QUANTITY_LIMIT", field=[*path, "quantity"])
    return short_of_stock(variant, quantity, field=[*path, "quantity"])


def _refuse_any(problems: Iterable[DomainError | None]) -> None:
    """Raise every problem found together, so that nothing is written when any line is wrong."""
    found = [problem for problem in problems if problem is not None]
    if found:
        raise DomainErrors(found)


@transaction.atomic
def create_cart(user, *, lines: list[LineRequest], email: str | None = None) -> Cart:
    """A new guest cart; for a signed-in user, their one cart (created if they have none) with the lines added."""
    if is_signed_in(user):
        User.objects.select_for_update().filter(pk=user.pk).first()  # serialized with merge_guest_cart
        cart = Cart.objects.filter(user=user).first()
        if cart is None:
            try:
                with transaction.atomic():
                    cart = Cart.objects.create(user=user, email=user.email)
                    counters.cart_created()
            except IntegrityError:  # created by a concurrent request
                cart = Cart.objects.get(user=user)
    else:
        cart = Cart.objects.create()
        counters.cart_created()
    if email is not None:
        _set_email(cart, email, field=["input", "email"])
        cart.save(update_fields=["email", "updated_at"])
    if lines:
        add_lines(cart, lines, path=["input", "lines"])
    return cart


@transaction.atomic
def add_lines(cart: Cart, lines: list[LineRequest], *, path: list[str] = ("lines",)) -> Cart:
    """Add variants, merging with the lines already there; every line is checked before any is written."""
    cart = _locked(cart)
    variants = ProductVariant.objects.select_related("product").in_bulk({line.variant_id for line in lines})
    existing = {line.variant_id: line for line in cart.lines.all()}
    wanted = {variant_id: line.quantity for variant_id, line in existing.items()}
    problems = []
    for i, line in enumerate(lines):
        wanted[line.variant_id] = wanted.get(line.variant_id, 0) + max(line.quantity, 0)
        quantity = wanted[line.variant_id] if line.quantity > 0 else line.quantity
        problems.append(_line_problem(variants.get(line.variant_id), quantity, [*path, str(i)]))
    if len(wanted) > settings.CART_MAX_LINES:
        problems.append(CartError(f"A cart holds at most {settings.CART_MAX_LINES} lines.", code="QUANTITY_LIMIT",
                                  field=list(path)))
    _refuse_any(problems)
    for variant_id in dict.fromkeys(line.variant_id for line in lines):  # in the order asked for
        price = variants[variant_id].current_price
        if variant_id in existing:
            CartLine.objects.filter(pk=existing[variant_id].pk).update(quantity=wanted[variant_id], price_when_added=price)
        else:
            CartLine.objects.create(cart=cart, variant_id=variant_id, quantity=wanted[variant_id], price_when_added=price)
    return _touched(cart)


@transaction.atomic
def update_lines(cart: Cart, updates: list[LineUpdate]) -> Cart:
    """Set line quantities (0 removes the line); a line of another cart is NOT_FOUND."""
    cart = _locked(cart)
    lines = {line.pk: line for line in cart.lines.select_related("variant__product")}
    problems = []
    for i, update in enumerate(updates):
        line = lines.get(update.line_id)
        if line is None:
            problems.append(NotFound("No such line in this cart.", field=["lines", str(i), "lineId"]))
        elif update.quantity != 0:
            problems.append(_line_problem(line.variant, update.quantity, ["lines", str(i)]))
    _refuse_any(problems)
    for update in updates:
        line = lines[update.line_id]
        if update.quantity == 0:
            line.delete()
        else:
            CartLine.objects.filter(pk=line.pk).update(quantity=update.quantity, price_when_added=line.variant.current_price)
    return _touched(cart)


@transaction.atomic
def remove_lines(cart: Cart, line_ids: list[int]) -> Cart:
    cart = _locked(cart)
    found = set(cart.lines.filter(pk__in=line_ids).values_list("pk", flat=True))
    _refuse_any(NotFound("No such line in this cart.", field=["lineIds", str(i)])
                for i, line_id in enumerate(line_ids) if line_id not in found)
    cart.lines.filter(pk__in=found).delete()
    return _touched(cart)


def _set_email(cart: Cart, email: str, *, field: list[str]) -> None:
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise CartError("Enter a valid email address.", field=field) from None
    cart.email = email


@transaction.atomic
def update_details(cart: Cart, user, details: CartDetails) -> Cart:
    """Contact and delivery details. Addresses are copied into the cart, so editing the address book later does
    not move a delivery; a saved address is the caller's own or NOT_FOUND."""
    cart = _locked(cart)
    if details.shipping_address is not None and details.shipping_address_id is not None:
        raise CartError("Give a shipping address or the ID of a saved one, not both.", field=["input", "shippingAddressId"])
    if details.email is not None:
        _set_email(cart, details.email, field=["input", "email"])
    if details.shipping_address is not None:
        cart.shipping_address = _keep_copy(cart.shipping_address, fill_address(
            Address(), details.shipping_address, path=["input", "shippingAddress"]))
    if details.shipping_address_id is not None:
        saved = get_owned(Address.objects, user, details.shipping_address_id, field=["input", "shippingAddressId"])
        cart.shipping_address = _keep_copy(cart.shipping_address, saved)
    if details.billing_address is not None:
        cart.billing_address = _keep_copy(cart.billing_address, fill_address(
            Address(), details.billing_address, path=["input", "billingAddress"]))
    if details.shipping_method_id is not None:
        method = ShippingMethod.objects.filter(pk=details.shipping_method_id, is_active=True).first()
        if method is None:
            raise NotFound("No such shipping method.", field=["input", "shippingMethodId"])
        cart.shipping_method = method
    if problem := does_not_ship(cart, field=["input", "shippingMethodId"]):
        raise problem
    cart.save()
    return cart


def _keep_copy(current: Address | None, new: Address) -> Address:
    """The cart's own copy of `new`: the copy it has, overwritten (no new row per edit), or a first one."""
    if current is not None and current.user_id is None:
        current.delete()  # the cart's previous copy: only this cart holds it (an order takes it over at checkout)
    return copy_address(new)


@transaction.atomic
def apply_voucher(cart: Cart, code: str) -> Cart:
    cart = _locked(cart)
    voucher = Voucher.objects.filter(code=code.strip().upper()).first()
    if voucher is None:
        raise CartError("This voucher code is not valid.", code="VOUCHER_INVALID", field=["code"])
    problem = voucher_problem(voucher, cart_subtotal(cart), timezone.now())
    if problem:
        raise CartError(problem, code="VOUCHER_INVALID", field=["code"])
    cart.voucher = voucher
    cart.save(update_fields=["voucher", "updated_at"])
    return cart


@transaction.atomic
def remove_voucher(cart: Cart) -> Cart:
    cart = _locked(cart)
    cart.voucher = None
    cart.save(update_fields=["voucher", "updated_at"])
    return cart


def _touched(cart: Cart) -> Cart:
    cart.save(update_fields=["updated_at"])
    return cart


@transaction.atomic
def register(*, cart_token: str | None = None, **account) -> tuple[User, TokenPair]:
    """Register (accounts.register takes `account`), and take over the guest cart filled before (`cart_token`):
    it becomes the new account's cart, in the same transaction as the account."""
    user, pair = accounts.register(**account)
    if cart_token:
        merge_guest_cart(user, cart_token)
    return user, pair


def sign_in(*, email: str, password: str, address: str | None, cart_token: str | None = None,
            otp: str | None = None) -> tuple[User, TokenPair]:
    """Sign in from `address` (the caller's IP, for the throttle), and fold in the guest cart filled before
    (`cart_token`), so signing in never loses a cart."""
    user, pair = accounts.sign_in(email=email, password=password, address=address, otp=otp)
    if cart_token:
        merge_guest_cart(user, cart_token)
    return user, pair


def sign_in_with_id_token(*, provider: str, id_token: str, cart_token: str | None = None, nonce: str | None = None,
                          otp: str | None = None, authorization_code: str | None = None,
                          address: str | None = None) -> tuple[User, TokenPair]:
    """Sign in (or up) with Google or Apple, and fold in the guest cart as `sign_in` does."""
    user, pair = social.sign_in(provider_name=provider, id_token=id_token, nonce=nonce, otp=otp,
                                authorization_code=authorization_code, address=address)
    if cart_token:
        merge_guest_cart(user, cart_token)
    return user, pair


@transaction.atomic
def merge_guest_cart(user, token: str) -> None:
    """On sign-in, fold a guest cart into the user's cart: quantities add up, capped by stock and the line limit.

    Nothing is refused here (the customer is signing in, not editing): what would not fit is capped, and the
    guest cart goes away. An unknown token, or a cart that already belongs to someone, is left alone.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()  # one merge or cart creation at a time per user
    guest = Cart.objects.select_for_update().filter(token=token, user__isnull=True).first()
    if guest is None:
        return
    mine = Cart.objects.select_for_update().filter(user=user).first()
    if mine is None:
        guest.user = user
        guest.email = guest.email or user.email
        guest.save(update_fields=["user", "email", "updated_at"])
        return
    existing = {line.variant_id: line for line in mine.lines.all()}
    for line in guest.lines.select_related("variant"):
        current = existing.get(line.variant_id)
        quantity = min(line.quantity + (current.quantity if current else 0), line.variant.stock,
                       settings.CART_LINE_MAX_QUANTITY)
        if current:
            CartLine.objects.filter(pk=current.pk).update(quantity=max(quantity, current.quantity))
        elif quantity > 0:
            CartLine.objects.create(cart=mine, variant=line.variant, quantity=quantity, price_when_added=line.price_when_added)
    guest.delete()
    _touched(mine)


def purge_abandoned_carts() -> int:
    """Guest carts untouched for ABANDONED_CART_LIFETIME (a signed-in user's cart is kept), and the address
    copies they held that nothing else holds."""
    cutoff = timezone.now() - settings.ABANDONED_CART_LIFETIME
    deleted, _ = Cart.objects.filter(user__isnull=True, updated_at__lt=cutoff).delete()
    accounts.purge_unheld_copies()
    return deleted
