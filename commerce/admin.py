"""What the admins of several apps share (commerce is no Django app, so nothing autodiscovers this module)."""
from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the services write (what the provider said, what an order went through): shown for support,
    never added, edited or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown beside their parent for support (an order's lines, events, parcels): never added or removed here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False
