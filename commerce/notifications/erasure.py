"""What the sent-email log erases of an account being deleted (commerce.accounts.deletion): the address it
mailed. The keys stay (welcome:42 was sent), so a job that runs again still sends nothing twice."""
from django.dispatch import receiver

from commerce.accounts.signals import account_erasing
from commerce.notifications.models import SentEmail


@receiver(account_erasing)
def erase_recipient(sender, *, user, **kwargs) -> None:
    SentEmail.objects.filter(recipient__iexact=user.email).update(recipient=f"deleted-{user.pk}@invalid")
