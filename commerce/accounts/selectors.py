"""Reading accounts with the object-level rules applied: a customer sees only themselves and their addresses."""
from django.db.models import QuerySet

from commerce.accounts.models import Address, User
from commerce.permissions import is_signed_in, is_staff, owned_by


def visible_users(viewer) -> QuerySet[User]:
    """Staff see every account; a customer sees their own; nobody else sees any."""
    if is_staff(viewer):
        return User.objects.all()
    if is_signed_in(viewer):
        return User.objects.filter(pk=viewer.pk)
    return User.objects.none()


def visible_addresses(viewer) -> QuerySet[Address]:
    """Address-book entries reachable by ID: the owner's alone. (Staff see a customer's addresses through the
    User, and the copies held by carts and orders through those.)"""
    return owned_by(Address.objects.all(), viewer)
