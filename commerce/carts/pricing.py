"""The one pricing function: what a cart costs, and what an order placed from it snapshots.

Prices are tax-exclusive. The voucher's discount comes off the subtotal (never below zero), shipping is the
chosen method's price, and tax is the destination country's rate (settings.TAX_RATES) on the discounted
subtotal plus shipping. Every amount is rounded as commerce.money rounds the currency.
"""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings

from commerce.carts.models import ShippingMethod, Voucher
from commerce.money import round_money


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    voucher_applies: bool  # False when a voucher is on the cart but does not apply now


def voucher_problem(voucher: Voucher, subtotal: Decimal, now: datetime) -> str | None:
    """Why the voucher cannot be used on this subtotal now, or None when it can."""
    if not voucher.is_active or (voucher.starts_at and now < voucher.starts_at):
        return "This voucher is not valid."
    if voucher.ends_at and now >= voucher.ends_at:
        return "This voucher has expired."
    if voucher.usage_limit is not None and voucher.used_count >= voucher.usage_limit:
        return "This voucher has been used up."
    if subtotal < voucher.min_subtotal:
        return f"This voucher needs a subtotal of at least {voucher.min_subtotal}."
    return None


def discount_for(voucher: Voucher, subtotal: Decimal, currency: str) -> Decimal:
    if voucher.kind == Voucher.Kind.PERCENT:
        amount = subtotal * voucher.value / 100
    else:
        amount = voucher.value
    return round_money(min(amount, subtotal), currency)


def tax_rate(country_code: str | None) -> Decimal:
    return Decimal(settings.TAX_RATES.get((country_code or "").upper(), "0"))


def price(
    *,
    subtotal: Decimal,
    currency: str,
    now: datetime,
    voucher: Voucher | None = None,
    shipping_method: ShippingMethod | None = None,
    country_code: str | None = None,
) -> Totals:
    """Totals for lines worth `subtotal` (the sum of unit price times quantity, already in minor units)."""
    subtotal = round_money(subtotal, currency)
    applies = voucher is not None and voucher_problem(voucher, subtotal, now) is None
    discount = discount_for(voucher, subtotal, currency) if applies else Decimal(0)
    shipping = round_money(shipping_method.price, currency) if shipping_method else Decimal(0)
    tax = round_money((subtotal - discount + shipping) * tax_rate(country_code), currency)
    return Totals(
        subtotal=subtotal,
        discount=round_money(discount, currency),
        shipping=shipping,
        tax=tax,
        total=subtotal - discount + shipping + tax,
        voucher_applies=applies or voucher is None,
    )
