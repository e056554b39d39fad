"""The catalog page written by hand in plain Django: the baseline `bench/catalog.py` compares GraphQL with.

Same JSON as the contract's `CatalogPage` query (shape, keys, Relay IDs, cursors, decimal strings), built from
a tuned queryset: 5 queries (the page with its category joined, then variants, images, the variants' options with
their attribute, and the options' values prefetched). The
total count rides on the page query as a window function, as strawberry-django's connection does it.
"""
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Window
from django.http import JsonResponse
from strawberry.relay import to_base64

from commerce.catalog.models import AttributeAssignment, Product, ProductImage, ProductVariant

PAGE_SIZE = 20
CURSOR_PREFIX = "arrayconnection"  # strawberry's offset cursors


def _money(amount, currency: str) -> dict:
    return {"amount": str(amount), "currency": currency}


def _variant(variant: ProductVariant) -> dict:
    return {
        "id": to_base64("ProductVariant", variant.pk),
        "sku": variant.sku,
        "name": variant.name,
        "price": _money(variant.price, variant.currency),
        "quantityAvailable": max(variant.stock, 0),
        "isAvailable": variant.stock > 0,  # its product is published: the page holds no others
        "attributes": [{"name": o.attribute.name, "value": ", ".join(v.name for v in o.shown_values())}
                       for o in variant.options.all()],
    }


def _category(category) -> dict | None:
    return category and {"id": to_base64("Category", category.pk), "name": category.name, "slug": category.slug}


def _product(product: Product, currency: str) -> dict:
    return {
        "id": to_base64("Product", product.pk),
        "slug": product.slug,
        "name": product.name,
        "isAvailable": product.in_stock,
        "priceRange": {"min": _money(product.min_price, currency), "max": _money(product.max_price, currency)},
        "category": _category(product.category),
        "images": [{"url": image.url, "alt": image.alt} for image in product.images.all()],
        "variants": [_variant(variant) for variant in product.variants.all()],
    }


def products_page(request):
    products = list(
        Product.objects.filter(is_published=True)
        .select_related("category")
        .only("slug", "name", "min_price", "max_price", "category__name", "category__slug")
        .annotate(
            in_stock=Exists(ProductVariant.objects.filter(product_id=OuterRef("pk"), stock__gt=0)),
            total_count=Window(Count("*")),
        )
        .prefetch_related(
            Prefetch("variants", ProductVariant.objects.order_by("position", "id")),
            Prefetch("variants__options", AttributeAssignment.objects.select_related("attribute")
                     .prefetch_related("values")),
            Prefetch("images", ProductImage.objects.order_by("position", "id")),
        )
        .order_by("-created_at", "-id")[:PAGE_SIZE]
    )
    total = products[0].total_count if products else 0
    edges = [
        {"cursor": to_base64(CURSOR_PREFIX, offset), "node": _product(product, settings.SHOP_CURRENCY)}
        for offset, product in enumerate(products)
    ]
    page_info = {"hasNextPage": len(products) < total, "endCursor": edges[-1]["cursor"] if edges else None}
    return JsonResponse({"data": {"products": {"totalCount": total, "pageInfo": page_info, "edges": edges}}})
