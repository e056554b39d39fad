"""Staff's edits of the catalog: products, variants, stock and categories.

Updates take only the fields given (`changes`, by model field name), so what a client leaves out stays as it is.
Writes validate with the model's own checks on the API's field paths and keep what the catalog derives right in
the same transaction; variant writes lock their product first, so the price range recomputed after them sees
every committed variant.
"""
from collections.abc import Callable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Model
from django.utils.text import slugify

from commerce import audit
from commerce.errors import NotFound
from commerce.validation import check_fields

from .attributes import Assign, options_from_pairs, set_variant_options
from .models import AttributeAssignment, Category, Product, ProductVariant
from .services import CatalogError, lock_tree, refresh_listings, refresh_price_ranges, save_category, subtree
from .signals import ask, product_ordered, variant_ordered, variant_withdrawn
from .stock import warn_if_low

ATTRIBUTE_TEXT_MAX_LENGTH = 100
AUDITED_VARIANT_FIELDS = ("sku", "name", "price", "stock", "low_stock_threshold")  # what the audit log records


def unique_slug(model: type[Model], text: str, *, exclude_pk: int | None = None) -> str:
    """A slug from `text` that no other row of `model` has: "linen-shirt", then "linen-shirt-2", ..."""
    max_length = model._meta.get_field("slug").max_length
    base = slugify(text)[: max_length - 8].strip("-") or model._meta.model_name
    taken = set(model.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True))
    n, slug = 1, base
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _apply(instance: Model, changes: dict, *, path: list[str]) -> None:
    for name, value in changes.items():
        setattr(instance, name, value.strip() if isinstance(value, str) and name != "description" else value)
    check_fields(instance, [name for name in changes if name not in ("category", "parent")], path=path)


def _save_with_slug(instance: Model, generated: bool, save: Callable[[], Model], *, path: list[str]) -> Model:
    """Save, and if another writer took the generated slug at the same moment, take the next one; a slug the
    caller chose that is taken is ALREADY_EXISTS."""
    taken = CatalogError("That slug is taken.", code="ALREADY_EXISTS", field=[*path, "slug"])
    for _ in range(3):
        try:
            with transaction.atomic():
                return save()
        except IntegrityError:
            if not type(instance).objects.filter(slug=instance.slug).exclude(pk=instance.pk).exists():
                raise  # another constraint, which the checks before the save should have caught
            if not generated:
                raise taken from None
            instance.slug = unique_slug(type(instance), instance.name, exclude_pk=instance.pk)
    raise taken


def _get(model: type[Model], pk: int | None, *, field: list[str], lock: bool = False):
    """The row, or NOT_FOUND on `field`; locked FOR NO KEY UPDATE when asked (a product whose variants change)."""
    if pk is None:
        return None
    rows = model.objects.select_for_update(no_key=True) if lock else model.objects
    found = rows.filter(pk=pk).first()
    if found is None:
        raise NotFound(f"No such {model._meta.verbose_name}.", field=field)
    return found


def _resolve_category(changes: dict, relation: str, field: list[str]) -> dict:
    """`changes` with `<relation>_id` replaced by the category (or None), which must exist. The caller holds the
    tree lock (lock_tree), taken before any other lock, so the category cannot go while the write goes on."""
    changes = dict(changes)
    if f"{relation}_id" in changes:
        changes[relation] = _get(Category, changes.pop(f"{relation}_id"), field=field)
    return changes


# Products


@transaction.atomic
def create_product(*, name: str, slug: str | None = None, description: str = "", category_id: int | None = None,
                   is_published: bool = True, seo_title: str = "", seo_description: str = "") -> Product:
    if category_id is not None:
        lock_tree()
    return _write_product(Product(), {"name": name, "slug": slug, "description": description,
                                      "category_id": category_id, "is_published": is_published,
                                      "seo_title": seo_title, "seo_description": seo_description})


@transaction.atomic
def update_product(product_id: int, changes: dict) -> Product:
    if "category_id" in changes:
        lock_tree()
    product = _get(Product, product_id, field=["id"], lock=True)
    return _write_product(product, changes)


def _write_product(product: Product, changes: dict) -> Product:
    changes = _resolve_category(changes, "category", ["input", "categoryId"])
    generated = product.pk is None and not (changes.get("slug") or "").strip()
    if generated:
        changes["slug"] = unique_slug(Product, changes.get("name") or "")
    category_before = product.category_id
    _apply(product, changes, path=["input"])
    _save_with_slug(product, generated, product.save, path=["input"])
    if product.category_id != category_before or generated:
        refresh_listings([product.pk])
        refresh_price_ranges([product.pk])  # a sale on the category it left or joined
    return product


@transaction.atomic
def delete_product(product_id: int) -> Product:
    """Delete a product, unless an order holds it: then it is unpublished instead (archived, as Shopify does),
    so its variants stay and every order line keeps its link to what was sold, its snapshot untouched, and
    sales reports keep the product. The returned copy keeps its id either way, for the client's cache.

    The tree lock comes first, as in every write that touches listings; then the variants are locked FOR UPDATE,
    which waits for a checkout that is taking one of them and keeps any other from starting, so "not ordered" stays
    true until the product is gone."""
    lock_tree()
    product = _get(Product, product_id, field=["id"], lock=True)
    list(product.variants.select_for_update().order_by("pk").values_list("pk", flat=True))
    if is_ordered(product):
        if product.is_published:
            product.is_published = False
            product.save(update_fields=["is_published", "updated_at"])
        return product
    deleted_id = product.pk
    product.delete()
    product.pk = deleted_id
    return product


# Variants


def _checked_attributes(attributes: list[dict], path: list[str]) -> list[dict]:
    cleaned = []
    for i, attribute in enumerate(attributes):
        name, value = str(attribute["name"]).strip(), str(attribute["value"]).strip()
        if not name or not value or max(len(name), len(value)) > ATTRIBUTE_TEXT_MAX_LENGTH:
            raise CatalogError(f"An attribute needs a name and a value; both are at most "
                               f"{ATTRIBUTE_TEXT_MAX_LENGTH} characters.", field=[*path, "attributes", str(i)])
        cleaned.append({"name": name, "value": value})
    return cleaned


def _write_variant(variant: ProductVariant, changes: dict) -> ProductVariant:
    """`options` (attributes.Assign) set the variant's options; `attributes`, the old free-form pairs, still do,
    folded onto the attribute definitions as the JSON migration folds them."""
    changes = dict(changes)
    pairs, options = changes.pop("attributes", None), changes.pop("options", None)
    created, before = variant.pk is None, audit.snapshot(variant, AUDITED_VARIANT_FIELDS)
    _apply(variant, changes, path=["input"])
    try:
        with transaction.atomic():
            variant.save()
    except IntegrityError:  # a SKU taken by a concurrent writer after the check
        raise CatalogError("Another variant has this SKU.", code="ALREADY_EXISTS", field=["input", "sku"]) from None
    if pairs:
        set_variant_options(variant, options_from_pairs(_checked_attributes(pairs, ["input"])),
                            path=["input", "attributes"])
    if options:
        set_variant_options(variant, options, path=["input", "options"])
    refresh_price_ranges([variant.product_id])
    audit.record(audit.CREATE if created else audit.UPDATE, variant,
                 audit.diff({} if created else before, audit.snapshot(variant, AUDITED_VARIANT_FIELDS)))
    return variant


@transaction.atomic
def create_variant(product_id: int, *, sku: str, price: Decimal, name: str = "", stock: int = 0,
                   attributes: list[dict] | None = None, options: list[Assign] | None = None,
                   low_stock_threshold: int | None = None, position: int | None = None) -> ProductVariant:
    product = _get(Product, product_id, field=["productId"], lock=True)
    if position is None:
        position = (product.variants.aggregate(last=Max("position"))["last"] or -1) + 1
    variant = ProductVariant(product=product)
    return _write_variant(variant, {"sku": sku, "price": price, "name": name, "stock": stock,
                                    "attributes": attributes, "options": options,
                                    "low_stock_threshold": low_stock_threshold,
                                    "position": position})


@transaction.atomic
def update_variant(variant_id: int, changes: dict) -> ProductVariant:
    product_id = _get(ProductVariant, variant_id, field=["id"]).product_id
    _get(Product, product_id, field=["id"], lock=True)  # the product first, as every variant write locks it
    return _write_variant(_get(ProductVariant, variant_id, field=["id"], lock=True), changes)


@transaction.atomic
def delete_variant(variant_id: int) -> ProductVariant:
    """Delete a variant, unless an order holds it: then it is archived (gone from the product, carts, listings and
    ID lookups; its SKU free again), so the order lines keep their link to what was sold, as products do. The
    returned copy keeps its id either way, for the client's cache.

    The product is locked first, as every variant write does; the variant FOR UPDATE waits for a checkout that is
    taking it, so that checkout either places its order first (and the variant is archived) or finds it gone."""
    product_id = _get(ProductVariant, variant_id, field=["id"]).product_id
    _get(Product, product_id, field=["id"], lock=True)
    variant = _get(ProductVariant, variant_id, field=["id"])
    ProductVariant.objects.select_for_update().filter(pk=variant_id).first()
    variant_withdrawn.send(sender=ProductVariant, variant_id=variant_id)
    if ask(variant_ordered, variant_id=variant_id):
        AttributeAssignment.objects.filter(variant_id=variant_id).delete()  # it no longer makes its product match
        sku_length = ProductVariant._meta.get_field("sku").max_length
        ProductVariant.objects.filter(pk=variant_id).update(
            is_archived=True, stock=0, sku=f"deleted-{variant_id}-{variant.sku}"[:sku_length])
    else:
        variant.delete()
        variant.pk = variant_id
    refresh_price_ranges([product_id])
    return variant


@transaction.atomic
def set_stock(variant_id: int, quantity: int) -> ProductVariant:
    """Set the units on hand (a stock count). Never below zero; crossing under the low-stock threshold alerts
    staff as a sale that does so would."""
    if quantity < 0:
        raise CatalogError("Stock cannot be negative.", field=["quantity"])
    variant = _get(ProductVariant, variant_id, field=["id"], lock=True)
    before, variant.stock = variant.stock, quantity
    variant.save(update_fields=["stock"])
    warn_if_low(variant, before, quantity)
    audit.record(audit.UPDATE, variant, {"stock": [before, quantity]} if before != quantity else {})
    return variant


# Categories


@transaction.atomic
def create_category(*, name: str, slug: str | None = None, description: str = "",
                    parent_id: int | None = None) -> Category:
    lock_tree()
    return _write_category(Category(), {"name": name, "slug": slug, "description": description,
                                        "parent_id": parent_id})


@transaction.atomic
def update_category(category_id: int, changes: dict) -> Category:
    """Read under the tree lock, so a field left out is saved as a concurrent edit left it, never as it was."""
    lock_tree()
    return _write_category(_get(Category, category_id, field=["id"]), changes)


def _write_category(category: Category, changes: dict) -> Category:
    changes = _resolve_category(changes, "parent", ["input", "parentId"])
    generated = category.pk is None and not (changes.get("slug") or "").strip()
    if generated:
        changes["slug"] = unique_slug(Category, changes.get("name") or "")
    _apply(category, changes, path=["input"])
    return _save_with_slug(category, generated, lambda: save_category(category, parent_field=["input", "parentId"]),
                           path=["input"])


@transaction.atomic
def delete_category(category_id: int) -> Category:
    """Delete a category and its subcategories, refused (CATEGORY_NOT_EMPTY) while any of them holds a product:
    staff move or delete those first, so no product silently loses its place in the tree."""
    lock_tree()
    category = _get(Category, category_id, field=["id"])
    if products_below(category).exists():
        raise CatalogError("This category or one below it still holds products.", code="CATEGORY_NOT_EMPTY",
                           field=["id"])
    for pk, _ in reversed(subtree(category)):  # children before their parents (the parent link is protected)
        Category.objects.filter(pk=pk).delete()
    category.pk = category_id
    return category


def products_below(category: Category):
    """The products in the category or any category under it: what stops it being deleted."""
    return Product.objects.filter(category_id__in=[pk for pk, _ in subtree(category)])


def is_ordered(product: Product) -> bool:
    """An order holds one of its variants: the product is archived (unpublished), never deleted."""
    return ask(product_ordered, product_id=product.pk)

