"""What the audit log erases of an account being deleted (commerce.accounts.deletion): the email it copied, as
the actor and wherever an entry names the user (a staff flag changed on their account). The entries stay, with
the actor's link to the emptied account, so who changed what is still known by id."""
import re

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.dispatch import receiver

from commerce.accounts.signals import account_erasing
from commerce.audit.models import AuditEntry


@receiver(account_erasing)
def redact_user(sender, *, user, **kwargs) -> None:
    placeholder = f"deleted-{user.pk}@invalid"
    AuditEntry.objects.filter(actor=user).update(actor_email=placeholder)
    email = user.email
    if not email:
        return
    pattern = re.compile(re.escape(email), re.IGNORECASE)
    about = (AuditEntry.objects.annotate(text=Cast("changes", TextField()))
             .filter(Q(object_repr__icontains=email) | Q(text__icontains=email) | Q(actor_email__iexact=email)))
    for entry in about.iterator():
        entry.object_repr = pattern.sub(placeholder, entry.object_repr)
        entry.actor_email = pattern.sub(placeholder, entry.actor_email)
        entry.changes = _redacted(entry.changes, pattern, placeholder)
        entry.save(update_fields=["object_repr", "actor_email", "changes"])


def _redacted(value, pattern: re.Pattern, placeholder: str):
    if isinstance(value, str):
        return pattern.sub(placeholder, value)
    if isinstance(value, list):
        return [_redacted(item, pattern, placeholder) for item in value]
    if isinstance(value, dict):
        return {key: _redacted(item, pattern, placeholder) for key, item in value.items()}
    return value
