from django.contrib import admin

from .models import SentEmail


@admin.register(SentEmail)
class SentEmailAdmin(admin.ModelAdmin):
    list_display = ["key", "recipient", "subject", "sent_at"]
    search_fields = ["recipient", "key"]
    readonly_fields = ["key", "recipient", "subject", "sent_at"]

    def has_add_permission(self, request):
        return False
