from django.db import models

from commerce.orders.models import Order


class IntentStatus(models.TextChoices):
    REQUIRES_PAYMENT_METHOD = "REQUIRES_PAYMENT_METHOD"
    REQUIRES_ACTION = "REQUIRES_ACTION"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class ActionType(models.TextChoices):
    CONFIRM_WITH_SDK = "CONFIRM_WITH_SDK"
    REDIRECT = "REDIRECT"
    APPROVE_ON_PHONE = "APPROVE_ON_PHONE"
    NONE = "NONE"


class Payment(models.Model):
    """One attempt to pay an order through a gateway (a Stripe PaymentIntent, a PayPal order, a MoMo request to
    pay), and what the provider told us of it. `provider` is the gateway's id; `intent_id` is the provider's id
    for the attempt, unique per gateway. `action_*` is what the buyer's client does next (shown to them);
    `provider_data` is what the gateway keeps for its later calls (never shown).

    `amount_received` and `amount_refunded` only ever grow: events arrive late, twice and out of order, and
    taking the largest figure seen makes every order of arrival converge on the same state.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=20)
    intent_id = models.CharField(max_length=255)
    client_secret = models.CharField(max_length=255, blank=True)
    action_type = models.CharField(max_length=20, choices=ActionType.choices, default=ActionType.NONE)
    action_url = models.CharField(max_length=2000, blank=True)
    action_reference = models.CharField(max_length=255, blank=True)
    action_data = models.JSONField(default=dict, blank=True)
    provider_data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=30, choices=IntentStatus.choices, default=IntentStatus.REQUIRES_PAYMENT_METHOD)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    amount_received = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    flagged = models.CharField(max_length=255, blank=True, help_text="Why this payment needs a person to look at it.")
    is_stray = models.BooleanField(default=False, help_text="Paid for an order that could not take it; refunded.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "intent_id"], name="one_payment_per_provider_id")]


class WebhookEvent(models.Model):
    """A provider's event as received (its id is unique: a duplicate delivery finds the row and stops)."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="one_row_per_provider_event")]
        ordering = ["-received_at"]


class Refund(models.Model):
    """A refund staff asked for; its pk makes the provider's idempotency key, so a retry never refunds twice."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    refund_id = models.CharField(max_length=255, blank=True)
    succeeded = models.BooleanField(default=False)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
