"""Endpoints and their delivery log for staff. Secrets are shown masked: webhookCreate and webhookRotateSecret
show them once; the admin never does."""
from django.contrib import admin

from .models import Attempt, Delivery, Webhook


def masked(secret: str) -> str:
    return f"{secret[:6]}…{secret[-4:]}" if secret else ""


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["url", "is_active", "failing_since", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    fields = ["url", "events", "is_active", "secret_masked", "previous_secret_until", "failing_since", "disabled_at"]
    readonly_fields = ["secret_masked", "previous_secret_until", "failing_since", "disabled_at"]

    @admin.display(description="secret")
    def secret_masked(self, webhook):
        return masked(webhook.secret)

    def has_add_permission(self, request):
        return False  # created through webhookCreate, which checks the URL and shows the secret once


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = readonly_fields = ["started_at", "duration_ms", "response_status", "succeeded", "error",
                                "response_excerpt"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["pk", "event", "webhook", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "event"]
    list_select_related = ["webhook"]
    fields = readonly_fields = ["webhook", "event", "subject", "subject_id", "status", "attempts", "response_status",
                                "next_attempt_at", "retry_until", "created_at"]
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False
