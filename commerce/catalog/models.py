"""The catalog: a category tree, products with variants, images and reviews.

Models validate and constrain; they run no workflows. What is derived (a product's price range and rating,
its place in the category tree, a category's level) is kept up to date by `services`, so that sorting and
filtering on it is an indexed read and never an aggregate per request.
"""
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import BooleanField, Exists, Expression, ExpressionWrapper, OuterRef, Q
from django.utils.text import slugify


class SqlFlag:
    """A yes/no a read computes in SQL, under this attribute's name (`expression()`: the GraphQL types annotate it,
    so a page of products costs no query per product). An instance loaded without that annotation (just written
    by a service, or deleted) computes it for its own row with the same expression, so the rule is written once;
    a row that no longer exists is False. The annotation, when present, sits in the instance's __dict__ and wins.
    """

    def __init__(self, expression: Callable[[], Expression]):
        self.expression = expression

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        rows = owner._default_manager.filter(pk=instance.pk).annotate(_flag=self.expression())
        return bool(rows.values_list("_flag", flat=True).first())


def product_is_available() -> Expression:
    """Published, with at least one variant in stock."""
    in_stock = Exists(ProductVariant.objects.filter(product_id=OuterRef("pk"), stock__gt=0))
    return ExpressionWrapper(Q(is_published=True) & Q(in_stock), output_field=BooleanField())


def variant_is_available() -> Expression:
    """In stock, of a published product."""
    return ExpressionWrapper(Q(stock__gt=0) & Q(product__is_published=True), output_field=BooleanField())


class Category(models.Model):
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    slug = models.SlugField(max_length=128, unique=True)
    name = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    # Depth in the tree (0 for a root), kept by services.move_category for `categories(level:)`.
    level = models.PositiveSmallIntegerField(default=0, editable=False, db_index=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ProductQuerySet(models.QuerySet):
    def published(self) -> "ProductQuerySet":
        return self.filter(is_published=True)


class Product(models.Model):
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    slug = models.SlugField(max_length=160, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Derived from the variants and reviews by services; read by priceRange, rating and the sorts.
    min_price = models.DecimalField(max_digits=12, decimal_places=2, default=0, editable=False)
    max_price = models.DecimalField(max_digits=12, decimal_places=2, default=0, editable=False)
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    # The product's category and all its ancestors, so "this category and its descendants" is one indexed
    # lookup (filters) and one prefetchable relation (Category.products); kept by services.
    listed_in = models.ManyToManyField(Category, related_name="listed_products", blank=True, editable=False)
    # Weighted name/description vector. On PostgreSQL a trigger keeps it (see migration 0002) and a GIN
    # index serves `@@`; on SQLite the column stays empty and search falls back to substring matching.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ProductQuerySet.as_manager()
    is_available = SqlFlag(product_is_available)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="product_created_idx"),
            models.Index(fields=["name", "id"], name="product_name_idx"),
            models.Index(fields=["min_price", "id"], name="product_price_idx"),
            models.Index(fields=["rating_average", "id"], name="product_rating_idx"),
            models.Index(fields=["is_published"], name="product_published_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductVariant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    # The free-form [{"name": ..., "value": ...}] pairs this catalog had before typed attributes: read-only, kept
    # (in its old column) one release so that `manage.py fold_attribute_json` can fold again what processes still
    # running the old code wrote during a rolling deploy. What a variant is now lives in `options`.
    legacy_attributes = models.JSONField(default=list, blank=True, editable=False, db_column="attributes")
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default=settings.SHOP_CURRENCY, editable=False)
    stock = models.IntegerField(default=0, validators=[MinValueValidator(0)], help_text="Units on hand.")
    low_stock_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Staff are emailed when a sale takes stock under this; empty: the shop's default."
    )
    position = models.PositiveIntegerField(default=0)
    is_available = SqlFlag(variant_is_available)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="variant_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative"),
        ]
        indexes = [models.Index(fields=["product", "stock"], name="variant_product_stock_idx")]

    def __str__(self) -> str:
        return f"{self.product.name} / {self.name}" if self.name else self.sku


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    url = models.URLField(max_length=500)
    alt = models.CharField(max_length=250, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt or self.url


REVIEW_BODY_MAX_LENGTH = 5000


class Review(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    author_name = models.CharField(max_length=150, help_text="Shown as the review's author.")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, validators=[MaxLengthValidator(REVIEW_BODY_MAX_LENGTH)])
    verified_purchase = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
            models.UniqueConstraint(
                fields=["product", "user"], condition=Q(user__isnull=False), name="review_one_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 {self.title}"


class WishlistItem(models.Model):
    """A product a customer keeps for later: one row per user and product, so adding twice keeps one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlist_items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="wishlist_items")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "product"], name="wishlist_one_per_user_product")]

    def __str__(self) -> str:
        return f"{self.user} likes {self.product}"


def number_text(number) -> str:
    """A NUMBER attribute's value as shown and as its facet slug: "250", "1.5" (no exponent, no trailing zeros)."""
    text = format(Decimal(number).normalize(), "f")
    return "0" if text in ("-0", "") else text


class ProductAttribute(models.Model):
    """An attribute definition (Colour, Size, Weight): what a product or a variant may be described by."""

    class Type(models.TextChoices):
        CHOICE = "CHOICE", "one of the values"
        MULTI_CHOICE = "MULTI_CHOICE", "several of the values"
        NUMBER = "NUMBER", "a number"
        BOOLEAN = "BOOLEAN", "yes or no"
        TEXT = "TEXT", "free text"

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.CHOICE)
    # Offered as a facet and a storefront filter.
    filterable = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["filterable"], name="attribute_filterable_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def has_values(self) -> bool:
        """Its assignments pick among its AttributeValues (the others hold a number, a yes/no or a text)."""
        return self.type in (self.Type.CHOICE, self.Type.MULTI_CHOICE)


class AttributeValue(models.Model):
    attribute = models.ForeignKey(ProductAttribute, on_delete=models.CASCADE, related_name="values")
    slug = models.SlugField(max_length=100)
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["attribute", "slug"], name="attribute_value_slug_unique")]

    def __str__(self) -> str:
        return self.name


class AttributeAssignment(models.Model):
    """An attribute given to a product (`variant` empty) or to one of its variants (an option: Size M).

    A variant's option also carries its product, so "products having Red" is one indexed lookup on this table
    whether the product or any of its variants is red: filters and facets never join through variants.
    NUMBER, BOOLEAN and TEXT keep their value in the typed column; CHOICE and MULTI_CHOICE in `values`.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="attribute_assignments")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="options"
    )
    attribute = models.ForeignKey(ProductAttribute, on_delete=models.CASCADE, related_name="assignments")
    values = models.ManyToManyField(AttributeValue, through="AssignedValue", blank=True, related_name="assignments")
    number = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    boolean = models.BooleanField(null=True, blank=True)
    text = models.CharField(max_length=250, blank=True, default="")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "attribute"], condition=Q(variant__isnull=True),
                                    name="assignment_one_per_product"),
            models.UniqueConstraint(fields=["variant", "attribute"], condition=Q(variant__isnull=False),
                                    name="assignment_one_per_variant"),
        ]
        indexes = [
            # Filters ("this product has ...") and the facet counts' "attribute A over these products".
            models.Index(fields=["product", "attribute"], name="assignment_product_idx"),
            models.Index(fields=["attribute", "number", "product"], name="assignment_number_idx"),
            models.Index(fields=["attribute", "boolean", "product"], name="assignment_boolean_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute}: {', '.join(v.name for v in self.shown_values())}"

    def shown_values(self) -> list["AttributeValue"]:
        """What the assignment holds, as values: its chosen AttributeValues (read through `values.all()`, so a
        prefetch serves them), or its number, yes/no or text as an unsaved value with the slug filters take."""
        if self.number is not None:
            text = number_text(self.number)
            return [AttributeValue(attribute_id=self.attribute_id, slug=text, name=text)]
        if self.boolean is not None:
            return [AttributeValue(attribute_id=self.attribute_id, slug=str(self.boolean).lower(),
                                   name="Yes" if self.boolean else "No")]
        if self.text:
            return [AttributeValue(attribute_id=self.attribute_id, slug=slugify(self.text)[:100] or "text",
                                   name=self.text)]
        return list(self.values.all())


class AssignedValue(models.Model):
    """One chosen value of a CHOICE or MULTI_CHOICE assignment, with the assignment's product and attribute copied
    in (kept by the services that write it), so that "products having Red" and the facet counts read this one
    table's indexes and never join the assignments: at 100,000 products that join was most of a faceted page."""

    assignment = models.ForeignKey(AttributeAssignment, on_delete=models.CASCADE, related_name="assigned_values")
    value = models.ForeignKey(AttributeValue, on_delete=models.CASCADE, related_name="assigned")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", editable=False)
    attribute = models.ForeignKey(ProductAttribute, on_delete=models.CASCADE, related_name="+", editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "value"], name="assigned_value_unique")]
        indexes = [
            models.Index(fields=["value", "product"], name="assigned_value_value_idx"),  # filters
            models.Index(fields=["product", "attribute", "value"], name="assigned_value_product_idx"),  # facets
        ]

    def save(self, *args, **kwargs):
        self.product_id, self.attribute_id = self.assignment.product_id, self.assignment.attribute_id
        super().save(*args, **kwargs)
