"""What the catalog keeps derived stays right as writers change things."""
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from commerce.catalog import services
from commerce.catalog.demo import seed_catalog
from commerce.catalog.models import Category, ListedCount, Product, ProductVariant, Review


def test_price_range_follows_variant_changes(make_product):
    product = make_product("Lamp", variants=[("10.00", 1), ("20.00", 1)])
    ProductVariant.objects.filter(product=product, price=Decimal("20.00")).update(price=Decimal("25.00"))
    ProductVariant.objects.create(product=product, sku="cheap", price=Decimal("5.00"))
    services.refresh_price_ranges([product.pk])
    product.refresh_from_db()
    assert (product.min_price, product.max_price) == (Decimal("5.00"), Decimal("25.00"))


def test_rating_follows_reviews(make_product):
    product = make_product("Lamp", ratings=[5, 2])
    assert (product.rating_average, product.rating_count) == (Decimal("3.50"), 2)
    Review.objects.filter(product=product).delete()
    services.refresh_ratings([product.pk])
    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (None, 0)


def test_moving_a_category_moves_its_subtree_and_its_products(make_category, make_product):
    clothing, home = make_category("Clothing"), make_category("Home")
    men = make_category("Men", clothing)
    shirts = make_category("Shirts", men)
    shirt = make_product("Shirt", shirts)
    assert set(shirt.listed_in.all()) == {shirts, men, clothing}

    men.parent = home
    services.save_category(men)
    shirts.refresh_from_db()
    assert (men.level, shirts.level) == (1, 2)
    assert set(shirt.listed_in.all()) == {shirts, men, home}


def test_a_category_cannot_move_below_itself(make_category):
    clothing = make_category("Clothing")
    men = make_category("Men", clothing)
    clothing.parent = men
    with pytest.raises(services.CatalogError) as refused:
        services.save_category(clothing)
    assert refused.value.field == ["parent"]
    assert Category.objects.get(pk=clothing.pk).parent is None


def test_the_database_refuses_negative_stock(make_product):
    variant = make_product("Lamp", variants=[("10.00", 1)]).variants.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductVariant.objects.filter(pk=variant.pk).update(stock=-1)


def test_seeding_is_deterministic_and_safe_to_run_twice(db):
    assert seed_catalog(30) == 30
    first = list(Product.objects.order_by("slug").values_list("slug", "name", "min_price", "max_price"))
    assert seed_catalog(30) == 0
    assert seed_catalog(35) == 5
    again = list(Product.objects.order_by("slug").values_list("slug", "name", "min_price", "max_price"))[:30]
    assert again == first
    assert max(Category.objects.values_list("level", flat=True)) == 2  # three levels deep
    assert all(p.listed_in.count() == 3 for p in Product.objects.all())


def test_bulk_seeding_past_the_detailed_products_is_complete_and_safe_to_run_twice(postgres):
    """The benchmarks' large catalogs: products past the detailed ones are made in SQL batches, each with what the
    storefront reads derived as for any other product."""
    lines = []
    assert seed_catalog(25, lines.append, detailed=10, batch=7) == 25
    assert len(lines) == 3  # 11..17, 18..24, 25
    assert seed_catalog(25, detailed=10, batch=7) == 0
    bulk = Product.objects.filter(slug__gt="demo-00010").order_by("slug")
    assert [p.slug for p in bulk] == [f"demo-{n:05d}" for n in range(11, 26)]
    for product in bulk:
        prices = [v.price for v in product.variants.all()]
        assert 1 <= len(prices) <= 5 and (product.min_price, product.max_price) == (min(prices), max(prices))
        assert product.images.exists() and product.listed_in.count() == 3
        assert product.name.endswith(product.slug.removeprefix("demo-").lstrip("0"))
        assert product.rating_count == product.reviews.count()
    whole = ListedCount.objects.get(key=ListedCount.WHOLE_CATALOG).products
    assert whole == Product.objects.published().count() == 24  # demo-00025 is a draft
