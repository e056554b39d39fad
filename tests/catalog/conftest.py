"""A small catalog whose every figure is known, built through the catalog services as the admin builds it."""
import pytest


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


@pytest.fixture
def defined(db):
    """Attribute definitions as staff make them: color and size (options), material, weight, waterproof, care."""
    from commerce.catalog import attributes

    class Defined:
        pass

    world = Defined()
    world.color = attributes.create_attribute(name="Color", type="CHOICE", filterable=True,
                                              values=["Red", "Blue", "Green"])
    world.size = attributes.create_attribute(name="Size", type="CHOICE", filterable=True, values=["S", "M", "L"])
    world.material = attributes.create_attribute(name="Material", type="MULTI_CHOICE", filterable=True,
                                                 values=["Cotton", "Wool"])
    world.weight = attributes.create_attribute(name="Weight", type="NUMBER", filterable=True)
    world.waterproof = attributes.create_attribute(name="Waterproof", type="BOOLEAN", filterable=True)
    world.care = attributes.create_attribute(name="Care", type="TEXT")
    return world
