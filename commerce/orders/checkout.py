"""Turning a cart into an order: one transaction that either takes the stock and places the order, or writes
nothing at all.

Concurrency: the cart row is locked first (the same cart completed twice at once gives one order), then the
variants in primary-key order (so two checkouts sharing variants never deadlock), then the voucher. Under
those locks the stock check and the decrement cannot interleave with another buyer's, and the CHECK
constraint on stock is the last wall if anything ever did. Variants and the voucher are locked FOR NO KEY
UPDATE, the lock an UPDATE of their non-key columns takes anyway: it does not block the KEY SHARE locks that
inserting a cart line or an order line (a foreign key to them) takes, which FOR UPDATE would, deadlocking
checkouts against shoppers adding the same variants to their carts.
"""
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from commerce.carts import counters
from commerce.carts.guards import does_not_ship, not_purchasable
from commerce.carts.models import Cart, Voucher
from commerce.carts.pricing import price, voucher_problem
from commerce.catalog.models import ProductVariant
from commerce.catalog.stock import change_stock, warn_if_low
from commerce.errors import DomainError, DomainErrors, NotFound
from commerce.events import announce
from commerce.orders.models import Order, OrderEventType, OrderLine
from commerce.orders.owners import owner_of_new_order
from commerce.orders.services import record_event
from commerce.orders.signals import order_placed
from commerce.permissions import is_signed_in


class CheckoutError(DomainError):
    pass


def _details_problems(cart: Cart) -> list[DomainError]:
    problems = []
    if not cart.email:
        problems.append(CheckoutError("An email address is needed for the order.", code="REQUIRED", field=["email"]))
    if cart.shipping_address is None:
        problems.append(CheckoutError("A shipping address is needed.", code="SHIPPING_REQUIRED", field=["shippingAddress"]))
    if cart.shipping_method is None:
        problems.append(CheckoutError("Choose a shipping method.", code="SHIPPING_REQUIRED", field=["shippingMethod"]))
    elif problem := does_not_ship(cart, field=["shippingMethod"]):
        problems.append(problem)
    return problems


def _buyer_problem(buyer) -> DomainError | None:
    """Whether the signed-in buyer's account may order at all: ACCOUNT_UNVERIFIED_MAY_CHECK_OUT off makes an
    unverified email wait for its confirmation (guests may always order)."""
    if is_signed_in(buyer) and not buyer.is_email_verified and not settings.ACCOUNT_UNVERIFIED_MAY_CHECK_OUT:
        return CheckoutError("Confirm your email address before placing an order: the link is in the email we sent "
                             "(accountResendConfirmation sends another).", code="EMAIL_NOT_VERIFIED")
    return None


@transaction.atomic
def complete(cart: Cart, buyer=None) -> Order:
    """Place an UNPAID order from the cart, take its stock, count the voucher's use and delete the cart.

    The order is the signed-in `buyer`'s whoever made the cart (commerce.orders.owners), and a guest cart without
    an email takes theirs."""
    if problem := _buyer_problem(buyer):
        raise problem
    cart = (Cart.objects.select_for_update(of=("self",))
            .select_related("shipping_address", "billing_address", "shipping_method", "voucher")
            .filter(pk=cart.pk).first())
    if cart is None:  # completed by a concurrent request that held the lock first
        raise NotFound("No such cart.", field=["cartToken"])
    if not cart.email and is_signed_in(buyer):
        cart.email = buyer.email
    lines = list(cart.lines.all())  # as the cart shows them, so ["lines", "<i>"] names the line the client sees
    if not lines:
        raise CheckoutError("The cart is empty.", code="CART_EMPTY", field=["cartToken"])
    problems = _details_problems(cart)
    variants = (ProductVariant.all_objects.select_for_update(of=("self",), no_key=True).select_related("product")
                .filter(pk__in=[line.variant_id for line in lines]).order_by("pk").in_bulk())
    for i, line in enumerate(lines):
        if problem := not_purchasable(variants[line.variant_id], line.quantity, field=["lines", str(i)]):
            problems.append(problem)
    now = timezone.now()
    subtotal = sum((variants[line.variant_id].current_price * line.quantity for line in lines), Decimal(0))
    voucher = None
    if cart.voucher_id:
        voucher = Voucher.objects.select_for_update(no_key=True).get(pk=cart.voucher_id)
        problem = voucher_problem(voucher, subtotal, now)
        if problem:
            problems.append(CheckoutError(problem, code="VOUCHER_INVALID", field=["voucherCode"]))
    if problems:
        raise DomainErrors(problems)

    currency = settings.SHOP_CURRENCY
    totals = price(subtotal=subtotal, currency=currency, now=now, voucher=voucher,
                   shipping_method=cart.shipping_method, country_code=cart.shipping_address.country_code)
    order = Order.objects.create(
        user=owner_of_new_order(buyer, cart), email=cart.email, currency=currency,
        subtotal=totals.subtotal, discount=totals.discount, shipping=totals.shipping, tax=totals.tax,
        total=totals.total, voucher_code=voucher.code if voucher else "",
        shipping_method_name=cart.shipping_method.name,
        shipping_address=cart.shipping_address, billing_address=cart.billing_address or cart.shipping_address,
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=order, variant=variants[line.variant_id], product_name=variants[line.variant_id].product.name,
                  variant_name=variants[line.variant_id].name, sku=variants[line.variant_id].sku,
                  quantity=line.quantity, unit_price=variants[line.variant_id].current_price,
                  undiscounted_unit_price=variants[line.variant_id].price,
                  total=variants[line.variant_id].current_price * line.quantity)
        for line in lines
    )
    _take_stock(variants, lines)
    if voucher:
        Voucher.objects.filter(pk=voucher.pk).update(used_count=F("used_count") + 1)
    record_event(order, OrderEventType.PLACED)
    announce(order_placed, order_id=order.pk)
    counters.order_placed()
    cart.delete()
    return order


def _take_stock(variants: dict[int, ProductVariant], lines) -> None:
    """One UPDATE for every line; under the row locks, so `stock - quantity` is what was checked above."""
    taken = {line.variant_id: line.quantity for line in lines}
    change_stock({pk: -quantity for pk, quantity in taken.items()})
    for pk, quantity in taken.items():
        warn_if_low(variants[pk], variants[pk].stock, variants[pk].stock - quantity)
