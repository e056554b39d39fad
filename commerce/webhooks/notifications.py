"""Staff hear when an endpoint was turned off for failing: integrations stop hearing from the shop until fixed."""
from django.contrib.auth import get_user_model

from commerce.notifications.emails import send_once
from commerce.webhooks.models import Webhook


def send_disabled_notice(webhook_id: int) -> None:
    webhook = Webhook.objects.filter(pk=webhook_id, disabled_at__isnull=False).first()
    if webhook is None:  # deleted, or turned back on, since
        return
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).values_list("email", flat=True)
    for email in staff:
        send_once(f"webhook-disabled:{webhook.pk}:{webhook.disabled_at.isoformat()}:{email}", "webhook_disabled",
                  email, {"webhook": webhook})
