"""Who may see and change what: the object-level rules every domain shares.

A customer reaches only what they own; staff flags come from the user model. Selectors narrow querysets with
these, so that an object a caller may not see is simply not found (`NotFound`), never a different answer that
would tell an attacker it exists.
"""
from django.conf import settings
from django.db.models import Model, QuerySet

from commerce.accounts import twofactor
from commerce.errors import NotFound


def is_signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def is_staff(user) -> bool:
    return is_signed_in(user) and user.is_staff and not _must_set_up_two_factor(user)


def _must_set_up_two_factor(user) -> bool:
    """With STAFF_TWO_FACTOR_REQUIRED, staff with no second factor act as customers until they set it up (as
    django-otp's admin treats a session no device verified), also on tokens from before the setting was on.
    Asked once per user object: one query per request, none while the setting is off."""
    if not settings.STAFF_TWO_FACTOR_REQUIRED:
        return False
    if not hasattr(user, "_must_set_up_two_factor"):
        user._must_set_up_two_factor = twofactor.must_set_up(user)
    return user._must_set_up_two_factor


def owned_by(queryset: QuerySet, user, *, owner: str = "user") -> QuerySet:
    """The rows of `queryset` that belong to `user` (none for an anonymous caller)."""
    if not is_signed_in(user):
        return queryset.none()
    return queryset.filter(**{owner: user})


def visible_to(queryset: QuerySet, user, *, owner: str = "user") -> QuerySet:
    """What a caller reaches without a secret (by ID, in their account): staff everything, a customer theirs."""
    return queryset if is_staff(user) else owned_by(queryset, user, owner=owner)


def is_visible_to(obj: Model, user, *, owner: str = "user") -> bool:
    """`visible_to` for one object already loaded: staff see it, a customer if it is theirs."""
    return is_staff(user) or (is_signed_in(user) and getattr(obj, f"{owner}_id") == user.pk)


def get_owned(queryset: QuerySet, user, pk, *, field: list[str], owner: str = "user") -> Model:
    """One row the user owns, or NOT_FOUND on `field` whether it is missing or someone else's."""
    found = owned_by(queryset, user, owner=owner).filter(pk=pk).first()
    if found is None:
        raise NotFound("Not found.", field=field)
    return found
