"""What the audit log erases of an account being deleted (commerce.accounts.deletion): the email it copied, as
the actor's and in the entries about the account itself (a staff flag changed on it). The entries stay, the actor
still linked to the emptied account, so who changed what is still known by id.

Only those entries are read, by indexed columns (the actor, the object), never the whole log: an email is copied
into an entry only as its actor's or as its object's name (no audited field of another object holds one)."""
import re

from django.db.models import Q
from django.dispatch import receiver

from commerce.accounts.signals import account_erasing
from commerce.audit.models import AuditEntry


@receiver(account_erasing)
def redact_user(sender, *, user, **kwargs) -> None:
    placeholder = f"deleted-{user.pk}@invalid"
    AuditEntry.objects.filter(actor=user).update(actor_email=placeholder)
    if not user.email:
        return
    email = re.compile(re.escape(user.email), re.IGNORECASE)
    about = AuditEntry.objects.filter(Q(object_type=user._meta.label_lower, object_id=str(user.pk)) | Q(actor=user))
    for entry in about.iterator():
        entry.object_repr = email.sub(placeholder, entry.object_repr)
        entry.changes = _redacted(entry.changes, email, placeholder)
        entry.save(update_fields=["object_repr", "changes"])


def _redacted(value, pattern: re.Pattern, placeholder: str):
    if isinstance(value, str):
        return pattern.sub(placeholder, value)
    if isinstance(value, list):
        return [_redacted(item, pattern, placeholder) for item in value]
    if isinstance(value, dict):
        return {key: _redacted(item, pattern, placeholder) for key, item in value.items()}
    return value
