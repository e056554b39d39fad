import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


def new_token() -> str:
    """An unguessable bearer token for a guest's cart or order: 192 random bits."""
    return secrets.token_urlsafe(24)


class ShippingMethod(models.Model):
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    countries = models.JSONField(default=list, blank=True, help_text='Country codes it ships to; [] means all.')
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def ships_to(self, country_code: str | None) -> bool:
        return self.is_active and (not self.countries or country_code in self.countries)


class Voucher(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", "percent off the subtotal"
        FIXED = "fixed", "a fixed amount off the subtotal"

    code = models.CharField(max_length=40, unique=True, help_text="Stored upper-case; customers type any case.")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Orders it may be used on; empty: no limit.")
    used_count = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used_count__lte=models.F("usage_limit")),
                name="voucher_used_within_limit",
            ),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="voucher_percent_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)


class Cart(models.Model):
    """A guest's cart (found by its token) or a signed-in user's (one per user)."""

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(blank=True)
    shipping_address = models.ForeignKey("accounts.Address", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    billing_address = models.ForeignKey("accounts.Address", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    shipping_method = models.ForeignKey(ShippingMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    voucher = models.ForeignKey(Voucher, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(user__isnull=False), name="one_cart_per_user"),
        ]

    def __str__(self) -> str:
        return f"cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(999)])
    # The price when the customer last chose this quantity, so the cart can say when it changed since.
    price_when_added = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["cart", "variant"], name="one_line_per_variant")]


class DailyCount(models.Model):
    """How many carts were created and how many orders placed on a day (the shop's time zone): the checkout
    conversion the dashboard shows. Counted as it happens (commerce.carts.counters), because the carts themselves
    do not last: checkout deletes a cart and abandoned ones are purged."""

    date = models.DateField(primary_key=True)
    carts_created = models.PositiveIntegerField(default=0)
    orders_placed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.orders_placed} orders from {self.carts_created} carts"
