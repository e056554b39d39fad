"""Orders of a deleted account: kept for the books, then stripped of personal data after the legal retention.

When a customer deletes their account (commerce.accounts.deletion) their orders stay, with their lines, totals
and events (accounting and tax law want them for years), marked `account_deleted_at`. Once
ORDER_PERSONAL_DATA_RETENTION_DAYS have passed since an order was placed, its email and the addresses it shipped
and billed to are erased (a nightly job; at once for orders already that old); unset, they are kept as they are.

An order still in progress (awaiting payment or shipment) refuses the deletion with ORDERS_IN_PROGRESS: the
customer cancels an unpaid one (orderCancel) or lets it ship, and the shop cancels a paid one. Cancelling for
them would mean refunding money or closing payments at the provider inside the deletion, and a parcel on its
way needs the address it is going to.
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from commerce.accounts.models import Address
from commerce.accounts.signals import account_erasing
from commerce.carts.models import Cart
from commerce.errors import DomainError
from commerce.orders.models import Order, OrderStatus

IN_PROGRESS = [OrderStatus.UNPAID, OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED]
ERASED_NAME = "Erased"


class OrdersInProgress(DomainError):
    code = "ORDERS_IN_PROGRESS"


@receiver(account_erasing)
def keep_orders_for_the_books(sender, *, user, **kwargs) -> None:
    """Refuse while an order is in progress; otherwise mark the user's orders, erasing those past retention."""
    list(Cart.objects.select_for_update().filter(user=user))  # a checkout under way commits first, or finds no cart
    orders = Order.objects.select_for_update().filter(user=user)
    numbers = sorted(order.number for order in orders if order.status in IN_PROGRESS)
    if numbers:
        which = f"Orders {', '.join(numbers)} are" if len(numbers) > 1 else f"Order {numbers[0]} is"
        raise OrdersInProgress(f"{which} still awaiting payment or shipment: cancel an unpaid order, or wait until "
                               "it has shipped, then delete the account.")
    Order.objects.filter(user=user, account_deleted_at__isnull=True).update(account_deleted_at=timezone.now())
    erase_past_retention(user=user)


def past_retention(user=None):
    """Orders of deleted accounts whose personal data is due to be erased; none while retention is unset."""
    days = settings.ORDER_PERSONAL_DATA_RETENTION_DAYS
    if days is None:
        return Order.objects.none()
    due = Order.objects.filter(account_deleted_at__isnull=False, personal_data_erased_at__isnull=True,
                               created_at__lte=timezone.now() - timedelta(days=days))
    return due if user is None else due.filter(user=user)


@transaction.atomic
def erase_past_retention(user=None) -> int:
    """Erase the email and addresses of every order due (see past_retention); how many were. Safe to run twice."""
    orders = list(past_retention(user).select_for_update())
    addresses = {pk for order in orders for pk in (order.shipping_address_id, order.billing_address_id) if pk}
    Address.objects.filter(pk__in=addresses, user__isnull=True).update(
        first_name=ERASED_NAME, last_name="", line1="", line2="", city="", postal_code="", phone="")
    for order in orders:  # the country stays: it decided the tax the books account for
        Order.objects.filter(pk=order.pk).update(email=f"erased-{order.pk}@invalid",
                                                 personal_data_erased_at=timezone.now())
    return len(orders)
