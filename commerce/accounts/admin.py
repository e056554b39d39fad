from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.template.response import TemplateResponse

from commerce.admin import ReadOnlyAdmin
from commerce.audit.admin import Audited
from commerce.errors import DomainError
from commerce.exports.admin import ExportAdmin

from .deletion import erase_account
from .exports import CUSTOMERS
from .models import (Address, EmailToken, PasswordResetToken, RecoveryCode, RecoveryCodes, RefreshToken, SocialAccount,
                     TokenFamily, User)
from .tokens import revoke_family
from .verification import forget_verification


@admin.register(User)
class UserAdmin(Audited, ExportAdmin, BaseUserAdmin):
    # Who may do what: the audit log records changes of these (not of the personal data on the same page).
    audited_fields = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_email_verified", "is_staff", "is_active", "date_joined",
                    "deleted_at"]
    list_filter = ["is_staff", "is_superuser", "is_active", "is_email_verified", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "first_name", "last_name"]
    # Only the emailed link proves an address (and makes guest orders join): staff can neither tick it nor keep
    # it ticked for an address they type in.
    readonly_fields = ["is_email_verified", "deleted_at"]
    fieldsets = (
        (None, {"fields": ("email", "is_email_verified", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined", "deleted_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["erase_selected"]
    exports = (CUSTOMERS,)

    @admin.action(description="Delete the selected accounts (erase personal data, keep orders)",
                  permissions=["change"])
    def erase_selected(self, request, queryset):
        """What accountDelete does, for a customer who asks the shop (commerce.accounts.deletion), after a
        confirmation page; an account with an order in progress is refused and named."""
        if request.POST.get("post") != "yes":
            return TemplateResponse(request, "admin/accounts/user/erase_selected_confirmation.html", {
                **self.admin_site.each_context(request), "title": "Delete these accounts?", "users": queryset,
                "opts": self.model._meta, "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            })
        erased = 0
        for user in queryset.filter(deleted_at__isnull=True):
            try:
                erase_account(user)
                erased += 1
            except DomainError as refused:
                self.message_user(request, f"{user.email}: {refused.message}", messages.ERROR)
        if erased:
            self.message_user(request, f"Deleted {erased} account(s); their orders are kept.", messages.SUCCESS)
        return None

    def save_model(self, request, obj, form, change):
        if change and "email" in form.changed_data:
            forget_verification(obj)
        super().save_model(request, obj, form, change)


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


@admin.register(RecoveryCodes)
class RecoveryCodesAdmin(ReadOnlyAdmin):
    """Whose recovery codes exist and when one was last used; deleting them is how support takes them away (the
    authenticator app itself is under "TOTP devices"). The codes are shown to their owner once, never here."""

    list_display = ["user", "created_at", "last_used_at", "throttling_failure_count"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("accounts.delete_recoverycodes")


@admin.register(RecoveryCode)
class RecoveryCodeAdmin(ReadOnlyAdmin):
    """Unspent recovery codes, as digests (not shown)."""

    list_display = ["device", "pk"]
    search_fields = ["device__user__email"]
    exclude = ["digest"]


@admin.register(EmailToken)
class EmailTokenAdmin(SecretAdmin):
    list_display = ["user", "purpose", "email", "created_at", "expires_at", "used_at"]
    list_filter = ["purpose", "created_at", "used_at"]
    search_fields = ["user__email", "email"]


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
