from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Address, TokenFamily, User
from .tokens import revoke_family


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0
    fields = ["first_name", "last_name", "line1", "line2", "city", "postal_code", "country_code", "phone"]


UserAdmin.inlines = [AddressInline]


@admin.register(TokenFamily)
class TokenFamilyAdmin(admin.ModelAdmin):
    """Sign-ins, for support: who is signed in where, and a way to sign one out (revoking its family)."""

    list_display = ["user", "created_at", "revoked_at", "revoked_reason"]
    list_filter = ["revoked_reason"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "created_at", "revoked_at", "revoked_reason"]
    actions = ["sign_out"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Sign out the selected sessions")
    def sign_out(self, request, queryset):
        for family in queryset:
            revoke_family(family, TokenFamily.Revoked.SIGN_OUT)
