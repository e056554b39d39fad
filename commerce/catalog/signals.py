"""Questions the catalog asks of the apps that sell its products. Those apps depend on the catalog, so it cannot
import them; they connect receivers here instead, and each receiver answers True or False (commerce.orders.purchases).
"""
from django.dispatch import Signal

product_ordered = Signal()  # product_id -> bool: an order holds one of its variants, so it is archived, not deleted
variant_ordered = Signal()  # variant_id -> bool: an order holds it, so deleting it archives it instead
product_bought = Signal()  # user, product_id -> bool: the user paid for it, so their review is a verified purchase


def ask(question: Signal, **kwargs) -> bool:
    """True when any receiver answers True; False when none does or none is connected."""
    return any(answer is True for _, answer in question.send(sender=None, **kwargs))

variant_withdrawn = Signal()  # variant_id: deleted or archived by staff; sent in its transaction, so carts drop it
