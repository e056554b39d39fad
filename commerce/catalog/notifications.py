"""The email the catalog sends: low stock, to every active staff member. A job calls it by id (tasks.catalog);
each recipient gets it at most once per alert."""
from django.contrib.auth import get_user_model

from commerce.notifications.emails import send_once

from .models import ProductVariant


def send_low_stock_alert(variant_id: int, stock: int, alert_id: str) -> None:
    variant = ProductVariant.objects.select_related("product").filter(pk=variant_id).first()
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).values_list("email", flat=True)
    if variant is None:
        return
    for email in staff:
        send_once(f"low-stock:{alert_id}:{email}", "low_stock", email, {"variant": variant, "stock": stock})
