"""The catalog page written by hand in plain Django: the baseline `bench/catalog.py` compares GraphQL with.

Same JSON as the contract's `CatalogPage` query (shape, keys, Relay IDs, cursors, decimal strings), built from
a tuned queryset: 5 queries (the page with its category joined, then variants, images, the variants' options with
their attribute, and the options' values prefetched). The
total count rides on the page query as the maintained count (a subquery by primary key), and the cursors are keyset
cursors, as graph.catalog.ProductConnection makes them.
"""
from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch
from django.http import JsonResponse
from strawberry.relay import to_base64

from commerce.catalog import selectors
from commerce.catalog.models import AttributeAssignment, Product, ProductImage, ProductVariant
from graph.core.cursors import make_keyset_cursor

PAGE_SIZE = 20


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
    published = Product.objects.filter(is_published=True)
    products = list(
        published
        .select_related("category")
        .only("slug", "name", "min_price", "max_price", "created_at", "category__name", "category__slug")
        .annotate(
            in_stock=Exists(ProductVariant.objects.filter(product_id=OuterRef("pk"), stock__gt=0)),
            total_count=selectors.total_count(published, selectors.ProductQuery(), staff=False),
        )
        .prefetch_related(
            Prefetch("variants", ProductVariant.objects.order_by("position", "id")),
            Prefetch("variants__options", AttributeAssignment.objects.select_related("attribute")
                     .prefetch_related("values")),
            Prefetch("images", ProductImage.objects.order_by("position", "id")),
        )
        .order_by("-created_at", "-id")[:PAGE_SIZE + 1]
    )
    more, products = len(products) > PAGE_SIZE, products[:PAGE_SIZE]
    total = products[0].total_count if products else 0
    edges = [
        {"cursor": make_keyset_cursor("CREATED_AT:DESC", product.created_at.isoformat(), product.pk),
         "node": _product(product, settings.SHOP_CURRENCY)}
        for product in products
    ]
    page_info = {"hasNextPage": more, "endCursor": edges[-1]["cursor"] if edges else None}
    return JsonResponse({"data": {"products": {"totalCount": total, "pageInfo": page_info, "edges": edges}}})
