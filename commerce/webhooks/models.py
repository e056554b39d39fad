"""Endpoints, the deliveries owed to them, and every attempt at one.

A delivery is one event for one endpoint: its id is the idempotency id the receiver sees on every attempt
(`Webhook-Id`), so a retry or a redelivery is recognised as the same event. Its body is rendered on the first
attempt and kept, so every attempt sends the same bytes (only the signature's timestamp changes).
"""
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class WebhookEvent(models.TextChoices):
    ORDER_CREATED = "ORDER_CREATED"
    ORDER_PAID = "ORDER_PAID"
    ORDER_FULFILLED = "ORDER_FULFILLED"
    ORDER_DELIVERED = "ORDER_DELIVERED"
    ORDER_CANCELLED = "ORDER_CANCELLED"
    ORDER_REFUNDED = "ORDER_REFUNDED"
    PRODUCT_CREATED = "PRODUCT_CREATED"
    PRODUCT_UPDATED = "PRODUCT_UPDATED"
    PRODUCT_DELETED = "PRODUCT_DELETED"
    STOCK_LOW = "STOCK_LOW"
    RETURN_REQUESTED = "RETURN_REQUESTED"


class Webhook(models.Model):
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="The WebhookEvent names this endpoint receives.")
    is_active = models.BooleanField(default=True)
    # Kept as it is, not as a digest: it has to sign. Never logged; the admin shows it masked.
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False,
                                         help_text="The first failed attempt since the last success.")
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False,
                                       help_text="When it was turned off for failing too long (not by staff).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return self.url

    def signing_secrets(self, now=None) -> list[str]:
        """The current secret, and the previous one while its overlap lasts (a rotation)."""
        now = now or timezone.now()
        overlap = self.previous_secret and self.previous_secret_until and self.previous_secret_until > now
        return [self.secret, self.previous_secret] if overlap else [self.secret]


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING"  # waiting for its next attempt
    SUCCEEDED = "SUCCEEDED"  # the endpoint answered 2xx
    FAILED = "FAILED"  # gave up: a day of failures, or the endpoint was turned off


class Delivery(models.Model):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=30, choices=WebhookEvent.choices)
    subject = models.CharField(max_length=20, help_text='What `data` is: "order", "product" or "variant".')
    subject_id = models.BigIntegerField()
    body = models.BinaryField(null=True, editable=False, help_text="The JSON sent, rendered on the first attempt.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    retry_until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["webhook", "-id"]),
                   models.Index(fields=["next_attempt_at"], condition=models.Q(status="PENDING"),
                                name="webhooks_delivery_due")]

    def __str__(self):
        return f"{self.event} #{self.pk}"

    @staticmethod
    def default_retry_until():
        return timezone.now() + timedelta(seconds=settings.WEBHOOK_RETRY_FOR_SECONDS)


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, help_text="The start of the answer's body, capped.")
    error = models.CharField(max_length=300, blank=True, help_text="Refused, unreachable, timed out...")
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-pk"]
