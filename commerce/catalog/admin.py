"""The catalog in the Django admin. Saves go through catalog.services, so derived fields stay right."""
from django.contrib import admin

from . import services
from .models import Category, Product, ProductImage, ProductVariant, Review


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "level"]
    list_filter = ["level"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        services.save_category(obj)


class VariantInline(admin.TabularInline):
    model = ProductVariant
    extra = 0
    fields = ["sku", "name", "price", "stock", "attributes", "position"]


class ImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "is_published", "min_price", "max_price", "rating_average", "created_at"]
    list_filter = ["is_published", "category"]
    search_fields = ["name", "slug", "variants__sku"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["category"]
    readonly_fields = ["min_price", "max_price", "rating_average", "rating_count", "created_at", "updated_at"]
    inlines = [VariantInline, ImageInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.refresh_products([form.instance.pk])


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["product", "author_name", "rating", "title", "verified_purchase", "created_at"]
    list_filter = ["rating", "verified_purchase"]
    search_fields = ["title", "body", "author_name", "product__name"]
    raw_id_fields = ["product", "user"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.refresh_ratings([obj.product_id])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.refresh_ratings([obj.product_id])
