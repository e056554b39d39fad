from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from commerce.admin import ReadOnlyAdmin

from .models import Address, PasswordResetToken, RefreshToken, SocialAccount, TokenFamily, User
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


class SocialAccountInline(admin.TabularInline):
    """The user's Sign in with Google/Apple links, shown on their page (SocialAccountAdmin unlinks)."""

    model = SocialAccount
    extra = 0
    fields = readonly_fields = ["provider", "subject", "email", "client_id", "created_at", "last_used_at"]

    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


UserAdmin.inlines = [AddressInline, SocialAccountInline]


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


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    """Sign in with Google/Apple links, for support; deleting one unlinks that provider account (Apple's token
    kept for revocation is not revoked by that: deleting the user account does it)."""

    list_display = ["user", "provider", "email", "created_at", "last_used_at"]
    list_filter = ["provider"]
    search_fields = ["user__email", "email", "subject"]
    fields = readonly_fields = ["user", "provider", "subject", "email", "client_id", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
