from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from commerce.admin import ReadOnlyAdmin

from .models import Address, EmailToken, PasswordResetToken, RefreshToken, TokenFamily, User
from .tokens import revoke_family
from .verification import forget_verification


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_email_verified", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "is_email_verified"]
    search_fields = ["email", "first_name", "last_name"]
    # Only the emailed link proves an address (and makes guest orders join): staff can neither tick it nor keep
    # it ticked for an address they type in.
    readonly_fields = ["is_email_verified"]
    fieldsets = (
        (None, {"fields": ("email", "is_email_verified", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def save_model(self, request, obj, form, change):
        if change and "email" in form.changed_data:
            forget_verification(obj)
        super().save_model(request, obj, form, change)


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


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    """Address books, and the copies carts and orders hold (no user): an order's copy is what it ships to."""

    list_display = ["first_name", "last_name", "line1", "city", "postal_code", "country_code", "user"]
    list_filter = ["country_code", ("user", admin.EmptyFieldListFilter)]
    search_fields = ["last_name", "first_name", "line1", "city", "postal_code", "user__email"]
    raw_id_fields = ["user"]


class SecretAdmin(ReadOnlyAdmin):
    """Issued secrets, by when and whether they were spent; only digests are stored, and none is shown."""

    list_filter = ["created_at", "used_at"]
    exclude = ["digest"]


@admin.register(RefreshToken)
class RefreshTokenAdmin(SecretAdmin):
    list_display = ["family", "created_at", "expires_at", "used_at"]
    search_fields = ["family__user__email"]


@admin.register(PasswordResetToken)
class PasswordResetTokenAdmin(SecretAdmin):
    list_display = ["user", "created_at", "expires_at", "used_at"]
    search_fields = ["user__email"]


@admin.register(EmailToken)
class EmailTokenAdmin(SecretAdmin):
    list_display = ["user", "purpose", "email", "created_at", "expires_at", "used_at"]
    list_filter = ["purpose", "created_at", "used_at"]
    search_fields = ["user__email", "email"]
