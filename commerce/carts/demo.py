"""Shipping methods and a voucher for the demo shop, so `make run` can go from a cart to an order."""
from decimal import Decimal

from commerce.carts.models import ShippingMethod, Voucher

METHODS = [("Standard", Decimal("5.00"), []), ("Express", Decimal("15.00"), ["US", "CA", "GB", "DE", "FR", "NL"])]


def seed_checkout() -> None:
    """Idempotent: adds what is missing, changes nothing that exists."""
    for position, (name, price, countries) in enumerate(METHODS):
        ShippingMethod.objects.get_or_create(name=name, defaults={"price": price, "countries": countries,
                                                                  "position": position})
    Voucher.objects.get_or_create(code="WELCOME10", defaults={"kind": Voucher.Kind.PERCENT, "value": Decimal("10"),
                                                              "min_subtotal": Decimal("20.00")})
