"""Units on hand: changing them, and telling staff when a variant runs low.

Every change of stock (a sale, a cancellation putting units back, staff counting) goes through here, so the
low-stock rule is written once and the apps that sell variants depend on the catalog, not the reverse.
"""
from django.conf import settings
from django.db.models import Case, F, IntegerField, When
from django.dispatch import Signal

from commerce.events import announce

from .models import ProductVariant

stock_low = Signal()  # variant_id, stock: a variant's stock went under its low-stock threshold


def change_stock(deltas: dict[int, int]) -> None:
    """Add each delta to its variant's stock in one UPDATE (callers hold the rows' locks or rely on the CHECK)."""
    if deltas:
        ProductVariant.objects.filter(pk__in=sorted(deltas)).update(
            stock=Case(*(When(pk=pk, then=F("stock") + delta) for pk, delta in sorted(deltas.items())),
                       output_field=IntegerField()))


def low_stock_threshold(variant: ProductVariant) -> int:
    return settings.LOW_STOCK_THRESHOLD if variant.low_stock_threshold is None else variant.low_stock_threshold


def warn_if_low(variant: ProductVariant, before: int, after: int) -> None:
    """Announce `stock_low` when stock crosses under the variant's threshold (a sale, staff counting it down);
    once per crossing, not again while it stays under."""
    if before >= low_stock_threshold(variant) > after:
        announce(stock_low, variant_id=variant.pk, stock=after)
