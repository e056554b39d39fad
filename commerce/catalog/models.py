"""The catalog: a category tree, products with variants, images and reviews, and sales that lower prices for a time.

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
from django.db.models import BooleanField, Exists, Expression, ExpressionWrapper, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
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


class ListedCount(models.Model):
    """How many published products a category lists (its descendants' included), or the whole catalog holds (key
    WHOLE_CATALOG): the storefront's `totalCount` for its common pages, read by primary key instead of counted.

    On PostgreSQL, triggers keep it (migration 0011): on the listings (insert, delete), on products (insert, delete,
    a change of `is_published`), so every writer is counted, bulk `.update()`s and the admin included, in the
    writer's own transaction. Elsewhere (SQLite) it is not kept and the selectors count instead.
    """

    WHOLE_CATALOG = 0  # no category has the primary key 0

    key = models.PositiveIntegerField(primary_key=True, help_text="A category's id, or 0 for the whole catalog.")
    products = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.products}"


SEO_DESCRIPTION_LENGTH = 160  # about what a search result shows


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
    # What search engines and link previews show; empty: the name and the start of the description (Product.seo).
    seo_title = models.CharField(max_length=70, blank=True)
    seo_description = models.CharField(max_length=300, blank=True)

    # Derived from the variants and reviews by services; read by priceRange, rating and the sorts. The range is
    # of the current prices (a running sale's included); compare_at_* is the undiscounted range, null while
    # none of the product's variants is on sale (so it also answers `onSale`).
    min_price = models.DecimalField(max_digits=12, decimal_places=2, default=0, editable=False)
    max_price = models.DecimalField(max_digits=12, decimal_places=2, default=0, editable=False)
    compare_at_min_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, editable=False)
    compare_at_max_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, editable=False)
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
            # RATING sorts on one non-null key per direction (selectors.sort_key): unrated last either way.
            models.Index(Coalesce("rating_average", Value(Decimal("10"))), "id", name="product_rating_asc_idx"),
            models.Index(Coalesce("rating_average", Value(Decimal("-1"))).desc(), F("id").desc(),
                         name="product_rating_desc_idx"),
            models.Index(fields=["is_published"], name="product_published_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def seo(self) -> tuple[str, str]:
        """The title and description search engines show: staff's own, else the name and the description's start
        (cut at a word, as a search result snippet is), so a product never goes out with an empty one."""
        description = self.seo_description or " ".join(self.description.split())
        if len(description) > SEO_DESCRIPTION_LENGTH:
            description = description[:SEO_DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
        return self.seo_title or self.name, description


class LiveVariantManager(models.Manager):
    """Variants still sold: a deleted variant that an order holds is archived instead (kept for its order lines,
    reached through them by the base manager), and is gone from everything else."""

    def get_queryset(self):
        return super().get_queryset().filter(is_archived=False)


class ProductVariant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    # The free-form [{"name": ..., "value": ...}] pairs this catalog had before typed attributes: read-only, kept
    # (in its old column) one release so that `manage.py fold_attribute_json` can fold again what processes still
    # running the old code wrote during a rolling deploy. What a variant is now lives in `options`.
    legacy_attributes = models.JSONField(default=list, blank=True, editable=False, db_column="attributes")
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)],
                                help_text="The regular price; a running sale lowers what is charged (sale_price).")
    # The best running sale's price, below `price`; null when no sale lowers it. Kept by services (the sales
    # pricing in commerce.catalog.pricing), so reading what a variant costs now is a column, never a join.
    sale_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, editable=False)
    currency = models.CharField(max_length=3, default=settings.SHOP_CURRENCY, editable=False)
    stock = models.IntegerField(default=0, validators=[MinValueValidator(0)], help_text="Units on hand.")
    low_stock_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Staff are emailed when a sale takes stock under this; empty: the shop's default."
    )
    position = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(default=False, editable=False,
                                      help_text="Deleted by staff while an order held it: kept for that order only.")
    is_available = SqlFlag(variant_is_available)

    objects = LiveVariantManager()
    all_objects = models.Manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="variant_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative"),
        ]
        indexes = [models.Index(fields=["product", "stock"], name="variant_product_stock_idx")]

    def __str__(self) -> str:
        return f"{self.product.name} / {self.name}" if self.name else self.sku

    @property
    def current_price(self):
        """What the variant sells for now: the sale price while a sale lowers it, else the regular price."""
        return self.price if self.sale_price is None else self.sale_price

    @staticmethod
    def current_price_expression(prefix: str = "") -> Expression:
        """`current_price` in SQL, for the variant at `prefix` ("variant__" from a cart line)."""
        return Coalesce(f"{prefix}sale_price", f"{prefix}price")


class ProductImageQuerySet(models.QuerySet):
    def only(self, *fields):
        """Always with the columns `ProductImage.path` reads. The GraphQL optimizer picks each read's columns from
        the fields asked for, but passes over a field asked for twice with different arguments (`url(size: 256)`
        and `zoom: url(size: 2048)`, as a srcset does): those columns would then be loaded one image at a time."""
        return super().only(*fields, *ProductImage.PATH_FIELDS)


class ProductImage(models.Model):
    """A product's picture: a file uploaded here (`file`, kept through Django's storage: local files or a bucket),
    or an address elsewhere (`url`, as images were before uploads), never both.

    An upload's `renditions` are made by a job after it is stored (commerce.catalog.media): resized copies, EXIF
    turned and stripped, as [{"size", "format", "name", "width", "height"}] where `size` is the longer side. They
    are a column, not rows of their own: one job writes them once, they are always read with their image, and so
    `Image.url(size)` costs no query beyond the image's.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    url = models.URLField(max_length=500, blank=True, help_text="An image hosted elsewhere; empty for an upload.")
    file = models.FileField(max_length=300, blank=True, help_text="The uploaded original, as sent.")
    # The upload's size as shown, after its EXIF orientation; null for an image at a URL (unknown here).
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    renditions = models.JSONField(default=list, blank=True, editable=False)
    alt = models.CharField(max_length=250, blank=True)
    position = models.PositiveIntegerField(default=0)

    objects = ProductImageQuerySet.as_manager()
    PATH_FIELDS = ("url", "file", "renditions")

    class Meta:
        ordering = ["position", "id"]
        base_manager_name = "objects"  # prefetches (the optimizer's) are made from the base manager
        constraints = [
            models.CheckConstraint(condition=Q(url="") ^ Q(file=""), name="image_has_url_or_file"),
        ]

    def __str__(self) -> str:
        return self.alt or self.url or self.file.name

    def path(self, size: int | None = None, format: str = "webp") -> str:
        """Where the image at about `size` px (longer side) is: the rendition in `format` nearest at or above
        `size`, else the largest; the original until the renditions are made; the URL of an image elsewhere.
        The storage's URL, which is relative (`/media/...`) unless MEDIA_URL or the bucket make it absolute."""
        if not self.file:
            return self.url
        made = sorted((r for r in self.renditions if r["format"] == format), key=lambda r: r["size"])
        if not made:
            return self.file.url
        chosen = next((r for r in made if size is not None and r["size"] >= size), made[-1])
        return self.file.storage.url(chosen["name"])


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


class Sale(models.Model):
    """A price cut on products and/or categories (and every category below them) for a time.

    Exactly one of `percent_off` and `amount_off`. While several sales cover a variant, the buyer gets the lowest
    price any of them makes (sales never stack); an amount off never takes a price below zero. What a sale does
    to prices is stored on the variants and products (commerce.catalog.pricing), when it is written and, for
    starts and ends that come with time, by the scheduler's minute job: `applied` is whether the stored prices
    include it, so the job knows which sales changed state since it last ran.
    """

    name = models.CharField(max_length=200)
    percent_off = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True,
                                      validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)])
    amount_off = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                     validators=[MinValueValidator(Decimal("0.01"))])
    products = models.ManyToManyField(Product, related_name="sales", blank=True)
    categories = models.ManyToManyField(Category, related_name="sales", blank=True,
                                        help_text="Their subcategories' products are on sale too.")
    starts_at = models.DateTimeField(null=True, blank=True, help_text="Empty: from now.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: until it is ended.")
    applied = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent_off__isnull=True, amount_off__gt=0)
                | Q(amount_off__isnull=True, percent_off__gt=0, percent_off__lte=100),
                name="sale_percent_or_amount",
                violation_error_message="Give exactly one of a percentage (more than 0, at most 100) and an amount "
                                        "(more than 0).",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="sale_ends_after_start",
                violation_error_message="A sale must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_active_at(self, now) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (self.ends_at is None or now < self.ends_at)

    @staticmethod
    def active_at(now) -> Q:
        """`is_active_at` as a filter: started (or no start) and not yet ended (or no end)."""
        return (Q(starts_at__isnull=True) | Q(starts_at__lte=now)) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))


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
