"""Products with their variants and stock as the admin exports them (commerce.exports): a row per variant (one
empty-variant row for a product without any), the variant's options from its typed attributes."""
from django.db.models import Prefetch

from commerce.exports.datasets import Column, Dataset

from .models import Product, ProductVariant


def _variants(product: Product):
    return [(product, variant) for variant in product.variants.all()] or [(product, None)]


def _of_variant(read):
    return lambda record: None if record[1] is None else read(record[1])


def _options(variant: ProductVariant) -> str:
    """"Size: M; Color: Red, Blue", from the typed options (not the legacy JSON column)."""
    return "; ".join(f"{option.attribute.name}: {', '.join(v.name for v in option.shown_values())}"
                     for option in variant.options.all())


PRODUCTS = Dataset(
    name="products",
    model=Product,
    columns=(
        Column("product_id", lambda record: record[0].pk),
        Column("product", lambda record: record[0].name),
        Column("slug", lambda record: record[0].slug),
        Column("category", lambda record: record[0].category and record[0].category.name),
        Column("published", lambda record: record[0].is_published),
        Column("sku", _of_variant(lambda v: v.sku)),
        Column("variant", _of_variant(lambda v: v.name)),
        Column("options", _of_variant(_options)),
        Column("price", _of_variant(lambda v: v.price)),
        Column("sale_price", _of_variant(lambda v: v.sale_price)),
        Column("currency", _of_variant(lambda v: v.currency)),
        Column("stock", _of_variant(lambda v: v.stock)),
        Column("low_stock_threshold", _of_variant(lambda v: v.low_stock_threshold)),
        Column("rating_average", lambda record: record[0].rating_average),
        Column("rating_count", lambda record: record[0].rating_count),
    ),
    prepare=lambda products: products.select_related("category").prefetch_related(
        Prefetch("variants", ProductVariant.objects.prefetch_related("options__attribute", "options__values"))),
    records=_variants,
)
