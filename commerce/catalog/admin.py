"""The catalog in the Django admin. Writes go through the catalog's services, as the API's do, so derived
figures, low-stock alerts and "unpublish what orders hold, never delete it" hold here too."""
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from commerce import audit
from commerce.audit.admin import Audited
from commerce.errors import DomainError
from commerce.exports.admin import ExportAdmin

from . import attributes, images, media, pricing, sales, services, staff
from .exports import PRODUCTS
from .models import (
    AssignedValue, AttributeAssignment, AttributeValue, Category, ListedCount, Product, ProductAttribute,
    ProductImage, ProductVariant, Review, Sale, WishlistItem,
)
from .services import CatalogError
from .stock import warn_if_low


class CategoryForm(forms.ModelForm):
    def clean_parent(self):
        parent = self.cleaned_data["parent"]
        if parent is not None and services.would_cycle(self.instance, parent.pk):
            raise forms.ValidationError("A category cannot be moved below itself.")
        return parent


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = ["name", "slug", "parent", "level"]
    list_filter = ["level"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        services.save_category(obj)

    def get_deleted_objects(self, objs, request):
        """What categoryDelete does (staff.delete_category), not what Django's collector would: the category goes
        with its subcategories (whose PROTECT link to it the collector would refuse), and it is refused while any
        of them holds products."""
        below = [pk for category in objs for pk, _ in services.subtree(category)]
        deleted = [f"Category: {category}" for category in Category.objects.filter(pk__in=below)]
        holding = [f"{product} (product)" for category in objs for product in staff.products_below(category)[:20]]
        perms_needed = set() if self.has_delete_permission(request) else {Category._meta.verbose_name}
        return deleted, {Category._meta.verbose_name_plural: len(deleted)}, perms_needed, holding

    def delete_model(self, request, obj):
        staff.delete_category(obj.pk)

    def delete_queryset(self, request, queryset):
        for category in queryset.order_by("-level"):
            if Category.objects.filter(pk=category.pk).exists():
                staff.delete_category(category.pk)


def _save_variants(variants: list[ProductVariant], stock_before: dict[int, int]) -> None:
    for variant in variants:
        if variant.pk in stock_before:
            warn_if_low(variant, stock_before[variant.pk], variant.stock)


class VariantFormSet(BaseInlineFormSet):
    def delete_existing(self, obj, commit=True):
        """A variant ticked for deletion goes the way variantDelete does: archived if an order holds it."""
        if commit:
            staff.delete_variant(obj.pk)


class VariantInline(admin.TabularInline):
    model = ProductVariant
    formset = VariantFormSet
    extra = 0
    fields = ["sku", "name", "price", "stock", "low_stock_threshold", "position"]
    show_change_link = True  # a variant's options are edited on its own page


class AssignmentForm(forms.ModelForm):
    """An attribute on a product or a variant: the values to choose (CHOICE, MULTI_CHOICE) or the number, yes/no or
    text, checked against the attribute's type by the same rule as productAttributesSet."""

    chosen = forms.ModelMultipleChoiceField(
        AttributeValue.objects.select_related("attribute"), required=False, label="values",
        help_text="For CHOICE (one) and MULTI_CHOICE attributes.")

    class Meta:
        model = AttributeAssignment
        fields = ["attribute", "chosen", "number", "boolean", "text", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["chosen"].initial = list(self.instance.values.all())

    def clean(self):
        cleaned = super().clean()
        attribute = cleaned.get("attribute")
        if attribute is None:
            return cleaned
        chosen = list(cleaned.get("chosen") or [])
        if any(value.attribute_id != attribute.pk for value in chosen):
            raise forms.ValidationError(f"Choose values of {attribute.name}.")
        assign = attributes.Assign(attribute_id=attribute.pk, values=[v.slug for v in chosen] or None,
                                   number=cleaned.get("number"), boolean=cleaned.get("boolean"),
                                   text=cleaned.get("text"))
        try:
            attributes.checked(attribute, assign, option=bool(self.instance.variant_id or getattr(self, "is_option", False)))
        except DomainError as refused:
            raise forms.ValidationError([error.message for error in refused.errors]) from None
        return cleaned

    def _save_m2m(self):
        super()._save_m2m()
        attributes.replace_values(self.instance, list(self.cleaned_data.get("chosen") or []))


class ProductAttributeInline(admin.TabularInline):
    """The product's own attributes (not its variants' options)."""

    model = AttributeAssignment
    fk_name = "product"
    form = AssignmentForm
    extra = 0
    verbose_name, verbose_name_plural = "attribute", "attributes"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(variant__isnull=True).select_related("attribute")


class OptionFormSet(forms.BaseInlineFormSet):
    """A variant's options carry its product, so product filters find them without joining variants."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.is_option = True
        return form

    def save_new(self, form, commit=True):
        form.instance.product_id = self.instance.product_id
        return super().save_new(form, commit=commit)


class OptionInline(admin.TabularInline):
    model = AttributeAssignment
    fk_name = "variant"
    form = AssignmentForm
    formset = OptionFormSet
    extra = 0
    verbose_name, verbose_name_plural = "option", "options"


class ImageUrlForm(forms.ModelForm):
    url = forms.URLField(required=False, max_length=500, assume_scheme="https",
                         help_text=ProductImage._meta.get_field("url").help_text)


class ImageForm(ImageUrlForm):
    """An image of the product: a file uploaded here (checked as the API checks it, stored as the API stores it,
    its renditions made by the job), or the address of one hosted elsewhere."""

    upload = forms.FileField(required=False, help_text="A JPEG, PNG, WebP or GIF; added after the others.")

    class Meta:
        model = ProductImage
        fields = ["upload", "url", "alt", "position"]

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is not None:
            try:
                images.check(upload, field=["upload"])
            except CatalogError as refused:
                raise forms.ValidationError(refused.message, code=refused.code) from None
        return upload

    def clean(self):
        cleaned = super().clean()
        upload, url = cleaned.get("upload"), cleaned.get("url")
        if self.instance.pk is None:
            if bool(upload) == bool(url):
                raise forms.ValidationError("Give a file to upload or the URL of an image (one of them).")
        elif upload is not None:
            raise forms.ValidationError("Add a new image rather than replacing this one's file.")
        elif bool(self.instance.file) == bool(url):
            raise forms.ValidationError("An uploaded image has no URL; an image hosted elsewhere needs one.")
        return cleaned


class ImageFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = sum(1 for form in self.forms if form.instance.pk and not self._should_delete_form(form))
        added = sum(1 for form in self.extra_forms if form.has_changed() and not self._should_delete_form(form))
        if added and kept + added > settings.MEDIA_MAX_IMAGES_PER_PRODUCT:
            raise forms.ValidationError(f"A product has at most {settings.MEDIA_MAX_IMAGES_PER_PRODUCT} images.")

    def save_new(self, form, commit=True):
        upload = form.cleaned_data.get("upload")
        if upload is None:
            return super().save_new(form, commit)
        return media.upload_image(self.instance.pk, upload, form.cleaned_data.get("alt", ""), field=["upload"])


class ImageInline(admin.TabularInline):
    model = ProductImage
    form = ImageForm
    formset = ImageFormSet
    extra = 0
    fields = ["preview", "upload", "url", "alt", "position", "width", "height"]
    readonly_fields = ["preview", "width", "height"]

    @admin.display(description="Preview")
    def preview(self, image: ProductImage):
        return _preview(image)


def _preview(image: ProductImage):
    """A thumbnail (a 128 px rendition once made): what the storefront shows."""
    if image.pk is None:
        return "-"
    return format_html('<img src="{}" alt="{}" style="max-width:96px;max-height:96px">', image.path(128), image.alt)


@admin.register(Product)
class ProductAdmin(ExportAdmin):
    list_display = ["name", "slug", "category", "is_published", "min_price", "max_price", "rating_average", "created_at"]
    list_filter = ["is_published", "category", "created_at"]
    search_fields = ["name", "slug", "variants__sku"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["category"]
    readonly_fields = ["min_price", "max_price", "compare_at_min_price", "compare_at_max_price", "rating_average",
                       "rating_count", "created_at", "updated_at"]
    inlines = [VariantInline, ProductAttributeInline, ImageInline]
    exports = (PRODUCTS,)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProductVariant:
            return super().save_formset(request, form, formset, change)
        stock_before = dict(ProductVariant.objects.filter(product=form.instance).values_list("pk", "stock"))
        audited_before = {v.pk: audit.snapshot(v, staff.AUDITED_VARIANT_FIELDS)
                          for v in ProductVariant.objects.filter(product=form.instance)}
        super().save_formset(request, form, formset, change)
        saved = [f.instance for f in formset.forms if f.instance.pk]
        _save_variants(saved, stock_before)
        for variant in saved:
            before = audited_before.get(variant.pk)
            audit.record(audit.UPDATE if before is not None else audit.CREATE, variant,
                         audit.diff(before or {}, audit.snapshot(variant, staff.AUDITED_VARIANT_FIELDS)),
                         actor=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.refresh_products([form.instance.pk])

    def delete_model(self, request, obj):
        staff.delete_product(obj.pk)

    def delete_queryset(self, request, queryset):
        archived = []
        for product in queryset:
            staff.delete_product(product.pk)
            if Product.objects.filter(pk=product.pk).exists():
                archived.append(product)
        if archived:
            self.message_user(request, f"Unpublished instead of deleted, as orders hold them: "
                                       f"{', '.join(p.name for p in archived)}.", messages.WARNING)

    def response_delete(self, request, obj_display, obj_id):
        if Product.objects.filter(pk=obj_id).exists():
            self.message_user(request, f"“{obj_display}” is in orders, so it was unpublished instead of deleted.",
                              messages.WARNING)
            return HttpResponseRedirect(reverse("admin:catalog_product_change", args=[obj_id]))
        return super().response_delete(request, obj_display, obj_id)



class RefreshesItsProduct(admin.ModelAdmin):
    """For rows a product derives a figure from: deleting them, one or many, refreshes it (`refresh`). Their
    product is fixed once they exist, since moving one would leave the first product's figure counting it."""

    refresh = None

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *(["product"] if obj is not None else [])]

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self.refresh([obj.product_id])

    def delete_queryset(self, request, queryset):
        product_ids = set(queryset.values_list("product_id", flat=True))
        super().delete_queryset(request, queryset)
        self.refresh(product_ids)


@admin.register(ProductVariant)
class ProductVariantAdmin(Audited, RefreshesItsProduct):
    """Variants across products, for finding a SKU or what runs low."""

    audited_fields = staff.AUDITED_VARIANT_FIELDS

    refresh = staticmethod(services.refresh_price_ranges)
    list_display = ["sku", "product", "name", "price", "sale_price", "stock", "low_stock_threshold"]
    list_filter = ["product__is_published"]
    search_fields = ["sku", "name", "product__name"]
    autocomplete_fields = ["product"]
    ordering = ["stock", "sku"]
    inlines = [OptionInline]
    readonly_fields = ["legacy_attributes"]

    def delete_model(self, request, obj):
        staff.delete_variant(obj.pk)  # archived instead when an order holds it, as variantDelete does

    def delete_queryset(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            staff.delete_variant(pk)

    def save_model(self, request, obj, form, change):
        stock_before = dict(ProductVariant.objects.filter(pk=obj.pk).values_list("pk", "stock"))
        super().save_model(request, obj, form, change)
        services.refresh_price_ranges([obj.product_id])
        _save_variants([obj], stock_before)


@admin.register(ProductImage)
class ProductImageAdmin(admin.ModelAdmin):
    """Images across products; one is added (uploaded) on its product's page, where the limit on images holds."""

    form = ImageUrlForm
    list_display = ["thumbnail", "product", "alt", "position", "width", "height"]
    search_fields = ["product__name", "alt"]
    fields = ["thumbnail", "product", "file", "url", "alt", "position", "width", "height"]
    readonly_fields = ["thumbnail", "product", "file", "width", "height"]

    @admin.display(description="Image")
    def thumbnail(self, image: ProductImage):
        return _preview(image)

    def has_add_permission(self, request):
        return False


@admin.register(Review)
class ReviewAdmin(RefreshesItsProduct):
    refresh = staticmethod(services.refresh_ratings)
    list_display = ["product", "author_name", "rating", "title", "verified_purchase", "created_at"]
    list_filter = ["rating", "verified_purchase", "created_at"]
    search_fields = ["title", "body", "author_name", "product__name", "user__email"]
    raw_id_fields = ["product", "user"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.refresh_ratings([obj.product_id])


@admin.register(WishlistItem)
class WishlistItemAdmin(admin.ModelAdmin):
    """What customers keep for later: read-only, for support and for seeing demand."""

    list_display = ["user", "product", "created_at"]
    search_fields = ["user__email", "product__name"]
    list_filter = ["created_at"]
    readonly_fields = ["user", "product", "created_at"]

    def has_add_permission(self, request):
        return False


class SaleForm(forms.ModelForm):
    class Meta:
        model = Sale
        fields = ["name", "percent_off", "amount_off", "products", "categories", "starts_at", "ends_at"]

    def clean(self):
        """The API's rule for an amount off (commerce.catalog.sales), on the products and categories chosen here."""
        cleaned = super().clean()
        amount_off = cleaned.get("amount_off")
        if amount_off is not None and "products" in cleaned and "categories" in cleaned:
            try:
                sales.refuse_amount_over_a_price(amount_off, pricing.reached(
                    [p.pk for p in cleaned["products"]], [c.pk for c in cleaned["categories"]]))
            except DomainError as refused:
                self.add_error("amount_off", refused.message)
        return cleaned


@admin.register(Sale)
class SaleAdmin(admin.ModelAdmin):
    """Sales, scheduled by their start and end; saved through commerce.catalog.sales, so prices follow at once."""

    form = SaleForm
    list_display = ["name", "percent_off", "amount_off", "starts_at", "ends_at", "is_running"]
    list_filter = ["starts_at", "ends_at"]
    search_fields = ["name"]
    autocomplete_fields = ["products", "categories"]
    fieldsets = [
        (None, {"fields": ["name", ("percent_off", "amount_off")],
                "description": "Exactly one of a percentage and an amount. Where several sales cover a product, "
                               "the buyer gets the lowest price any of them makes."}),
        ("On sale", {"fields": ["products", "categories"],
                     "description": "A category's subcategories are on sale too."}),
        ("Schedule", {"fields": [("starts_at", "ends_at")],
                      "description": "Empty start: from now; empty end: until it is ended. Prices change within the "
                                     "minute a sale starts or ends."}),
    ]

    @admin.display(boolean=True, description="running")
    def is_running(self, sale: Sale) -> bool:
        return sale.is_active_at(timezone.now())

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data.get(name) for name in ("name", "percent_off", "amount_off", "starts_at",
                                                                  "ends_at")}
        lists = {"product_ids": [p.pk for p in form.cleaned_data["products"]],
                 "category_ids": [c.pk for c in form.cleaned_data["categories"]]}
        saved = sales.update_sale(obj.pk, {**fields, **lists}) if change else sales.create_sale(**fields, **lists)
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        """The service set the products and categories already."""

    def delete_model(self, request, obj):
        sales.delete_sale(obj.pk)

    def delete_queryset(self, request, queryset):
        for sale in queryset:
            sales.delete_sale(sale.pk)


class AttributeValueInline(admin.TabularInline):
    model = AttributeValue
    extra = 0
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ProductAttribute)
class ProductAttributeAdmin(Audited, admin.ModelAdmin):
    """Attribute definitions with their values; removing a value unsets it wherever it was chosen."""

    audited_fields = ("name", "slug", "type", "filterable", "values")

    list_display = ["name", "slug", "type", "filterable"]
    list_filter = ["type", "filterable"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AttributeValueInline]

    def get_readonly_fields(self, request, obj=None):
        return ["type"] if obj is not None else []  # assignments hold a value of the type they were made with


@admin.register(AttributeValue)
class AttributeValueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "attribute", "position"]
    list_filter = ["attribute"]
    search_fields = ["name", "slug", "attribute__name"]


class AssignedValueInline(admin.TabularInline):
    model = AssignedValue
    extra = 0
    raw_id_fields = ["value"]


@admin.register(AttributeAssignment)
class AttributeAssignmentAdmin(admin.ModelAdmin):
    """Every product's attributes and variant's options, for finding what has a value; edited on the product and
    the variant pages."""

    list_display = ["attribute", "product", "variant", "number", "boolean", "text"]
    list_filter = ["attribute"]
    search_fields = ["product__name", "variant__sku", "attribute__name", "text"]
    raw_id_fields = ["product", "variant"]
    form = AssignmentForm
    readonly_fields = ["product", "variant"]

    def has_add_permission(self, request):
        return False


@admin.register(AssignedValue)
class AssignedValueAdmin(admin.ModelAdmin):
    list_display = ["assignment", "value"]
    search_fields = ["value__name", "assignment__product__name"]
    raw_id_fields = ["assignment", "value"]


@admin.register(ListedCount)
class ListedCountAdmin(admin.ModelAdmin):
    """Read only: triggers keep these counts (migration 0011); a hand edit would make `totalCount` wrong."""

    list_display = ["key", "products"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
