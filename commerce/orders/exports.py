"""Orders and their lines as the admin exports them (commerce.exports): the columns, once for CSV and Excel."""
from django.db.models import Sum

from commerce.exports.datasets import Column, Dataset

from .models import Order, OrderLine

ORDERS = Dataset(
    name="orders",
    model=Order,
    columns=(
        Column("number", lambda o: o.number),
        Column("created_at", lambda o: o.created_at),
        Column("email", lambda o: o.email),
        Column("status", lambda o: o.status),
        Column("payment_status", lambda o: o.payment_status),
        Column("currency", lambda o: o.currency),
        Column("items", lambda o: o.items),
        Column("subtotal", lambda o: o.subtotal),
        Column("discount", lambda o: o.discount),
        Column("shipping", lambda o: o.shipping),
        Column("tax", lambda o: o.tax),
        Column("total", lambda o: o.total),
        Column("refunded_total", lambda o: o.refunded_total),
        Column("voucher_code", lambda o: o.voucher_code),
        Column("shipping_method", lambda o: o.shipping_method_name),
        Column("country", lambda o: o.shipping_address and o.shipping_address.country_code),
        Column("carrier", lambda o: o.carrier),
        Column("tracking_number", lambda o: o.tracking_number),
    ),
    prepare=lambda orders: orders.select_related("shipping_address").annotate(items=Sum("lines__quantity")),
    chunk_size=1000,
)

ORDER_LINES = Dataset(
    name="order_lines",
    model=OrderLine,
    columns=(
        Column("order", lambda line: line.order.number),
        Column("order_created_at", lambda line: line.order.created_at),
        Column("order_status", lambda line: line.order.status),
        Column("sku", lambda line: line.sku),
        Column("product", lambda line: line.product_name),
        Column("variant", lambda line: line.variant_name),
        Column("quantity", lambda line: line.quantity),
        Column("unit_price", lambda line: line.unit_price),
        Column("undiscounted_unit_price", lambda line: line.undiscounted_unit_price),
        Column("total", lambda line: line.total),
        Column("currency", lambda line: line.order.currency),
    ),
    prepare=lambda lines: lines.select_related("order"),
    via={Order: "order__in"},
    chunk_size=1000,
)
