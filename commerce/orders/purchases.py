"""What orders answer to the catalog's questions (commerce.catalog.signals): orders depend on the catalog, so the
answers live here, connected when the app is ready."""
from django.dispatch import receiver

from commerce.catalog.signals import product_bought, product_ordered, variant_ordered
from commerce.orders.models import OrderLine, OrderStatus

# An order in one of these was paid for and stands: what makes a review a verified purchase. A cancelled one (paid
# then cancelled is refunded in full and never sent) does not, nor one never paid.
PURCHASED = [OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED, OrderStatus.DELIVERED]


@receiver(product_bought)
def has_bought(sender, *, user, product_id: int, **kwargs) -> bool:
    return OrderLine.objects.filter(
        order__user=user, order__status__in=PURCHASED, variant__product_id=product_id
    ).exists()


@receiver(product_ordered)
def is_ordered(sender, *, product_id: int, **kwargs) -> bool:
    return OrderLine.objects.filter(variant__product_id=product_id).exists()


@receiver(variant_ordered)
def is_variant_ordered(sender, *, variant_id: int, **kwargs) -> bool:
    return OrderLine.objects.filter(variant_id=variant_id).exists()
