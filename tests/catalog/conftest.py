"""A small catalog whose every figure is known, built through the catalog services as the admin builds it."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.catalog import services
from commerce.catalog.models import Category, Product, ProductImage, ProductVariant, Review


@pytest.fixture
def make_category(db):
    def make(name: str, parent: Category | None = None) -> Category:
        return services.save_category(Category(name=name, slug=name.lower().replace(" ", "-"), parent=parent))

    return make


@pytest.fixture
def make_product(db):
    """make_product("Linen Shirt", shirts, variants=[("30.00", 5)], ratings=[5, 4], age_days=3)"""
    counter = iter(range(1, 10_000))

    def make(name, category=None, *, variants=(("10.00", 1),), ratings=(), published=True, age_days=0,
             description="", images=1):
        n = next(counter)
        product = Product.objects.create(
            name=name, slug=name.lower().replace(" ", "-"), category=category, is_published=published,
            description=description,
        )
        Product.objects.filter(pk=product.pk).update(created_at=timezone.now() - timedelta(days=age_days))
        for i, (price, stock) in enumerate(variants):
            ProductVariant.objects.create(
                product=product, sku=f"T{n}-{i}", name=f"Size {i}", price=Decimal(price), stock=stock, position=i,
                attributes=[{"name": "Size", "value": str(i)}, {"name": "Color", "value": "Blue"}],
            )
        for i in range(images):
            ProductImage.objects.create(product=product, url=f"https://img.example/{n}/{i}.jpg", alt=f"{name} {i}",
                                        position=i)
        for rating in ratings:
            Review.objects.create(product=product, author_name="Ann", rating=rating, title="t", body="b")
        services.refresh_products([product.pk])
        product.refresh_from_db()
        return product

    return make


@pytest.fixture
def shop(make_category, make_product):
    """Clothing > Men > Shirts, and Home; five products, one of them a draft."""
    clothing = make_category("Clothing")
    men = make_category("Men", clothing)
    shirts = make_category("Shirts", men)
    home = make_category("Home")

    class Shop:
        pass

    world = Shop()
    world.clothing, world.men, world.shirts, world.home = clothing, men, shirts, home
    world.shirt = make_product("Linen Shirt", shirts, variants=[("30.00", 5), ("40.00", 0)], ratings=[5, 4],
                               age_days=5, description="Breathable summer shirt.")
    world.jacket = make_product("Wool Jacket", men, variants=[("120.00", 2)], ratings=[3], age_days=4)
    world.lamp = make_product("Oak Lamp", home, variants=[("55.50", 0)], age_days=3,
                              description="An oak lamp with a linen shade.")
    world.mug = make_product("Ceramic Mug", home, variants=[("12.50", 100)], age_days=2)
    world.draft = make_product("Draft Scarf", clothing, variants=[("20.00", 10)], published=False, age_days=1)
    return world
