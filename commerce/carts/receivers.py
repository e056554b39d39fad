"""What carts do when the catalog announces a change (commerce.catalog.signals): carts depend on the catalog, so
the catalog cannot reach into them; it announces, and these receivers keep carts in line."""
from django.dispatch import receiver

from commerce.carts.models import CartLine
from commerce.catalog.signals import variant_withdrawn


@receiver(variant_withdrawn)
def drop_withdrawn_variant(sender, *, variant_id: int, **kwargs) -> None:
    """A variant staff deleted leaves every cart (an archived one would otherwise linger, unbuyable)."""
    CartLine.objects.filter(variant_id=variant_id).delete()
