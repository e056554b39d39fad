from decimal import Decimal

from django.conf import settings
from django.db import models

from commerce.carts.models import new_token


class OrderStatus(models.TextChoices):
    UNPAID = "UNPAID"
    PAID = "PAID"
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"  # some units shipped (commerce.orders.shipments)
    FULFILLED = "FULFILLED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class PaymentStatus(models.TextChoices):
    NOT_PAID = "NOT_PAID"
    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


class OrderEventType(models.TextChoices):
    PLACED = "PLACED"
    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    FULFILLED = "FULFILLED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    REFUNDED = "REFUNDED"
    NOTE = "NOTE"
    SHIPPED = "SHIPPED"  # a shipment that leaves units to ship; the one that ships the last is FULFILLED
    RETURN_REQUESTED = "RETURN_REQUESTED"
    RETURN_APPROVED = "RETURN_APPROVED"
    RETURN_DECLINED = "RETURN_DECLINED"
    RETURN_RECEIVED = "RETURN_RECEIVED"
    INVOICE_CREATED = "INVOICE_CREATED"


def _money(**kwargs):
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class Order(models.Model):
    """A placed order: snapshots of lines, prices and addresses, so later catalog changes never alter it.

    `status` and `payment_status` change only through commerce.orders.services (the status machine), which
    writes an OrderEvent for each change; the admin shows them read-only. The order number is the primary
    key, which the database's sequence assigns (never max+1).
    """

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    email = models.EmailField()
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.UNPAID, db_index=True)
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.NOT_PAID, db_index=True)
    currency = models.CharField(max_length=3)
    subtotal = _money()
    discount = _money(default=Decimal("0.00"))
    shipping = _money(default=Decimal("0.00"))
    tax = _money(default=Decimal("0.00"))
    total = _money()
    refunded_total = _money(default=Decimal("0.00"))
    voucher_code = models.CharField(max_length=40, blank=True)
    shipping_method_name = models.CharField(max_length=100, blank=True)
    shipping_address = models.ForeignKey("accounts.Address", null=True, on_delete=models.PROTECT, related_name="+")
    billing_address = models.ForeignKey("accounts.Address", null=True, on_delete=models.PROTECT, related_name="+")
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept for the books when its customer deletes their account (commerce.orders.erasure): marked then, and its
    # email and addresses erased once ORDER_PERSONAL_DATA_RETENTION_DAYS have passed since it was placed.
    account_deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    personal_data_erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="order_status_created_idx"),
            # The sales figures by day (commerce.orders.reports) read only these: on PostgreSQL an index-only scan
            # of the window's days, never the orders' rows (the INCLUDE is PostgreSQL's; elsewhere a plain index).
            models.Index(fields=["created_at"], include=["id", "status", "payment_status", "total", "refunded_total"],
                         name="order_created_sales_idx"),
        ]

    def __str__(self) -> str:
        return f"order #{self.number}"

    @property
    def number(self) -> str:
        return str(self.pk)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.ProductVariant", null=True, on_delete=models.SET_NULL, related_name="+")
    product_name = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=200, blank=True)
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    unit_price = _money()  # what was paid for one, a running sale's price included
    # The regular price at that moment: above unit_price when a sale lowered it (receipts, sales reports).
    undiscounted_unit_price = _money()
    total = _money()

    class Meta:
        ordering = ["id"]
        # Best sellers (commerce.orders.reports.top_products): a window's lines found by their orders, read from
        # the index alone on PostgreSQL.
        indexes = [models.Index(fields=["order"], include=["variant", "quantity", "total"],
                                name="orderline_order_sales_idx")]


class OrderEvent(models.Model):
    """One change of an order, with the state it left the order in: the order's history and its live feed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=OrderEventType.choices)
    status = models.CharField(max_length=20, choices=OrderStatus.choices)
    previous_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What the event is about, when it is one shipment or one return: its email and outbound webhook name it.
    shipment = models.ForeignKey("Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order_return = models.ForeignKey("Return", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class ShipmentStatus(models.TextChoices):
    """A parcel's progress, in order: it only ever moves forward (commerce.orders.shipments)."""

    PENDING = "PENDING"  # a label made, not yet handed over: a carrier may report it, orderShip never makes it
    SHIPPED = "SHIPPED"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"


class Shipment(models.Model):
    """One parcel of an order: which units of which lines it holds, and the carrier's details to follow it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True, db_index=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.SHIPPED)
    status_changed_at = models.DateTimeField(null=True, blank=True, help_text="When the current status happened "
                                             "(the carrier's time, when it said).")
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"shipment {self.pk} of order #{self.order_id}"


class LineUnits(models.Model):
    """Some units of one of the order's lines: what a shipment or a return holds."""

    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        abstract = True
        ordering = ["id"]


class ShipmentLine(LineUnits):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")


class ReturnStatus(models.TextChoices):
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    RECEIVED = "RECEIVED"  # the parcel is back; its refund is owed (`payout_pending`) or on its way
    REFUNDED = "REFUNDED"


class Return(models.Model):
    """A customer's request to send units back (an RMA), staff's decision, and once received, its refund.

    `refund_amount` is fixed when the parcel is received (commerce.orders.returns.refund_share); `payout_pending`
    says the gateway cannot pay money back (manual payments, MoMo without disbursement): staff pay it out by hand.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    status = models.CharField(max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED,
                              db_index=True)
    reason = models.TextField()
    decline_reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    refund_amount = _money(null=True, blank=True)
    restocked = models.BooleanField(default=False)
    payout_pending = models.BooleanField(default=False)
    # The commerce.payments Refund paying it back: a plain id, as payments sits above orders (no foreign key up).
    refund_reference = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"return {self.pk} of order #{self.order_id}"


class ReturnLine(LineUnits):
    order_return = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key for one operation, and the answer the first request with it got.

    The row is committed before the work starts, so a second request with the key finds it even while the first
    is still running; `fingerprint` is what the key was used for (the cart), so reuse for another is refused.
    """

    key = models.CharField(max_length=255)
    operation = models.CharField(max_length=50)
    caller = models.CharField(max_length=40, help_text='"user:<id>" or "guest": whose key it is.')
    fingerprint = models.CharField(max_length=64)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    errors = models.JSONField(null=True, blank=True, help_text="The UserErrors the first request answered with.")
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["operation", "caller", "key"], name="one_use_per_idempotency_key")]


class DailySales(models.Model):
    """One past day's sales sums (commerce.orders.rollup): what the dashboard reads instead of that day's orders.

    Computed from the orders on first need; `changed_at` is set when an order of that day changes after (an event,
    on commit), and a row computed before its last change is computed again. Today is never stored: it changes
    all day and is summed live."""

    date = models.DateField(primary_key=True)
    gross = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    refunded = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    kept_gross = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    orders = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date"]
        verbose_name_plural = "daily sales"

    def __str__(self) -> str:
        return f"sales of {self.date}"


class DailyProductSales(models.Model):
    """A product's units and line totals sold on a past day, computed with its day's DailySales row.
    `product_key` is the product's id, or 0 for lines whose product is gone (then `orphan_name` tells them apart)."""

    date = models.DateField()
    product_key = models.PositiveBigIntegerField()
    orphan_name = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200)
    units = models.PositiveIntegerField()
    revenue = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["-date", "-units"]
        verbose_name_plural = "daily product sales"
        constraints = [models.UniqueConstraint(fields=["date", "product_key", "orphan_name"],
                                               name="one_row_per_day_and_product")]

    def __str__(self) -> str:
        return f"{self.name} on {self.date}"
