from django.contrib import admin

from commerce.admin import ReadOnlyAdmin
from commerce.audit.admin import Audited

from .models import Cart, CartLine, DailyCount, ShippingMethod, Voucher


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "countries", "is_active", "position"]
    list_editable = ["is_active", "position"]


@admin.register(Voucher)
class VoucherAdmin(Audited, admin.ModelAdmin):
    audited_fields = ("code", "kind", "value", "min_subtotal", "starts_at", "ends_at", "usage_limit", "is_active")
    list_display = ["code", "kind", "value", "min_subtotal", "starts_at", "ends_at", "used_count", "usage_limit", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code"]
    readonly_fields = ["used_count"]


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["variant"]
    readonly_fields = ["price_when_added", "created_at"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    """For support: what a customer has in their cart. Editing goes through the storefront."""

    list_display = ["pk", "user", "email", "updated_at"]
    search_fields = ["email", "user__email"]
    list_filter = [("user", admin.EmptyFieldListFilter)]
    readonly_fields = ["token", "user", "email", "shipping_address", "billing_address", "shipping_method", "voucher",
                       "created_at", "updated_at"]
    inlines = [CartLineInline]


@admin.register(CartLine)
class CartLineAdmin(admin.ModelAdmin):
    """Which carts hold a variant (before discontinuing it, say). Read-only: carts change from the storefront."""

    list_display = ["cart", "variant", "quantity", "price_when_added", "created_at"]
    search_fields = ["variant__sku", "variant__product__name", "cart__email"]
    readonly_fields = ["cart", "variant", "quantity", "price_when_added", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(DailyCount)
class DailyCountAdmin(ReadOnlyAdmin):
    """Kept by cart creation and checkout; the dashboard's conversion reads them."""

    list_display = ["date", "carts_created", "orders_placed"]
    date_hierarchy = "date"
