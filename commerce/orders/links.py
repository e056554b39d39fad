"""Links to an order that leave the server (in emails): the tracking page, which the order's token opens."""
from django.conf import settings

from commerce.orders.models import Order


def tracking_url(order: Order) -> str:
    return settings.ORDER_TRACKING_URL.format(token=order.token)
