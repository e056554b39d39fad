"""Deleting an account, as the customer asks in the app (the App Store requires it of any app with sign-up) or
staff do in the admin: one service for both.

The user row stays, emptied: no name, an email of `deleted-<id>@invalid` (so the address is free to register
again), an unusable password, inactive, every sign-in revoked. Deleting the row instead would cascade into what
must stay (the orders kept for the books point at it, as do order events and payments that staff made), and a
kept row makes the erasure visible and idempotent: `deleted_at` says when.

What other apps hold of the user they erase themselves: each connects a receiver to `account_erasing`, sent
inside this transaction before the account is emptied (orders keep theirs, marked, and refuse while one is still
open; carts, the wishlist and reviews' author names go). A receiver that refuses raises a DomainError, and
nothing is erased.
"""
from django.db import transaction
from django.utils import timezone

from commerce.accounts import tokens
from commerce.accounts.models import PasswordResetToken, TokenFamily, User
from commerce.accounts.proof import confirm_identity
from commerce.accounts.signals import account_erasing


def delete_account(user: User, *, password: str | None = None, id_token: str | None = None,
                   address: str | None = None) -> User:
    """The customer's own deletion: a fresh proof of identity first (a stolen session must not delete the
    account), then the erasure."""
    confirm_identity(user, password=password, id_token=id_token, address=address)
    return erase_account(user)


def placeholder_email(user_id: int) -> str:
    """What a deleted account's email becomes: unique, and undeliverable (.invalid is reserved, RFC 2606)."""
    return f"deleted-{user_id}@invalid"


@transaction.atomic
def erase_account(user: User) -> User:
    """Erase the account's personal data and make signing in impossible; a no-op for one already erased."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_at is not None:
        return user
    account_erasing.send(sender=User, user=user)
    tokens.revoke_all(user, TokenFamily.Revoked.DELETED)
    PasswordResetToken.objects.filter(user=user).delete()
    user.addresses.all().delete()
    user.email, user.first_name, user.last_name = placeholder_email(user.pk), "", ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.deleted_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return user
