"""A realistic, deterministic demo catalog, for `make run`, the tests' fixtures and the benchmarks.

The same N always yields the same products (slugs `<noun>-<n>`, SKUs `SKU-<n>-<v>`), and seeding again only
adds what is missing, so it is safe to run twice and to grow a catalog from 200 to 10,000 products.
"""
import random
from decimal import Decimal

from django.db import transaction

from . import services
from .models import (
    AssignedValue, AttributeAssignment, AttributeValue, Category, Product, ProductAttribute, ProductImage,
    ProductVariant, Review,
)

TREE = {
    "Apparel": {"Men": ["Shirts", "Jackets", "Trousers"], "Women": ["Dresses", "Tops", "Skirts"], "Kids": ["Baby", "Boys", "Girls"]},
    "Home": {"Kitchen": ["Cookware", "Knives", "Tableware"], "Living": ["Lamps", "Rugs", "Cushions"], "Bath": ["Towels", "Mirrors"]},
    "Outdoor": {"Camping": ["Tents", "Sleeping Bags", "Stoves"], "Cycling": ["Helmets", "Lights", "Locks"]},
    "Electronics": {"Audio": ["Headphones", "Speakers"], "Computing": ["Keyboards", "Mice", "Monitors"]},
    "Books": {"Fiction": ["Crime", "Fantasy", "Classics"], "Non-fiction": ["Cooking", "Travel", "Science"]},
}
ADJECTIVES = ["Classic", "Everyday", "Premium", "Compact", "Organic", "Rugged", "Vintage", "Modern", "Light", "Heritage"]
MATERIALS = ["Cotton", "Linen", "Oak", "Steel", "Wool", "Bamboo", "Leather", "Ceramic", "Recycled", "Aluminium"]
COLORS = ["Black", "White", "Navy", "Olive", "Sand", "Red", "Grey"]
SIZES = ["XS", "S", "M", "L", "XL"]
WEIGHTS = [120, 250, 400, 500, 750, 1000, 1500, 2500]  # grams: a NUMBER attribute with values worth faceting
CARE = ["Machine wash at 30°C", "Wipe clean", "Hand wash only", "Do not tumble dry"]
# slug: (name, type, filterable, values)
ATTRIBUTES = {
    "color": ("Color", "CHOICE", True, COLORS),
    "size": ("Size", "CHOICE", True, SIZES),
    "material": ("Material", "MULTI_CHOICE", True, MATERIALS),
    "weight": ("Weight (g)", "NUMBER", True, []),
    "waterproof": ("Waterproof", "BOOLEAN", True, []),
    "care": ("Care", "TEXT", False, []),
}
REVIEW_TITLES = {5: "Love it", 4: "Very good", 3: "Does the job", 2: "Disappointing", 1: "Would not buy again"}
AUTHORS = ["Alex", "Sam", "Jordan", "Robin", "Kim", "Morgan", "Taylor", "Charlie"]


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def seed_categories() -> list[Category]:
    """The three-level tree; returns its leaves, where products live."""
    leaves = []

    def ensure(name: str, parent: Category | None) -> Category:
        slug = _slug(name) if parent is None else f"{parent.slug}-{_slug(name)}"
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            category = services.save_category(
                Category(slug=slug, name=name, parent=parent, description=f"Everything in {name.lower()}.")
            )
        return category

    for root_name, children in TREE.items():
        root = ensure(root_name, None)
        for child_name, leaf_names in children.items():
            child = ensure(child_name, root)
            leaves.extend(ensure(leaf_name, child) for leaf_name in leaf_names)
    return leaves


def seed_attributes() -> dict[str, tuple[ProductAttribute, dict[str, AttributeValue]]]:
    """The demo's attribute definitions (Colour and Size tell variants apart; Material, Weight, Waterproof and Care
    describe products), by slug, each with its values by name."""
    seeded = {}
    for slug, (name, kind, filterable, value_names) in ATTRIBUTES.items():
        attribute, _ = ProductAttribute.objects.get_or_create(
            slug=slug, defaults={"name": name, "type": kind, "filterable": filterable})
        values = {}
        for i, value_name in enumerate(value_names):
            values[value_name], _ = AttributeValue.objects.get_or_create(
                attribute=attribute, slug=_slug(value_name), defaults={"name": value_name, "position": i})
        seeded[slug] = (attribute, values)
    return seeded


def _assign(rows: list, chosen: list, attribute, product, variant=None, *, values=(), position=0, **typed) -> None:
    assignment = AttributeAssignment(product=product, variant=variant, attribute=attribute, position=position, **typed)
    rows.append(assignment)
    chosen.extend((assignment, value) for value in values)


@transaction.atomic
def seed_catalog(products: int) -> int:
    """Ensure products 1..N exist; returns how many were created."""
    leaves = seed_categories()
    attributes = seed_attributes()
    (color, colors), (size, sizes), (material, materials) = (attributes[s] for s in ("color", "size", "material"))
    existing = set(Product.objects.filter(slug__startswith="demo-").values_list("slug", flat=True))
    new_products, variants, images, reviews, assignments, chosen = [], [], [], [], [], []
    for n in range(1, products + 1):
        slug = f"demo-{n:05d}"
        if slug in existing:
            continue
        rng = random.Random(n)
        leaf = leaves[n % len(leaves)]
        main_material = rng.choice(MATERIALS)
        name = f"{rng.choice(ADJECTIVES)} {main_material} {leaf.name.rstrip('s')} {n}"
        product = Product(
            slug=slug,
            name=name,
            category=leaf,
            description=f"A {name.lower()} from our {leaf.name.lower()} range, made to last.",
            is_published=n % 25 != 0,  # a few drafts, visible to staff only
        )
        new_products.append(product)
        product_materials = {main_material, *([rng.choice(MATERIALS)] if rng.random() < 0.3 else [])}
        _assign(assignments, chosen, material, product, values=[materials[m] for m in sorted(product_materials)],
                position=1)
        _assign(assignments, chosen, attributes["weight"][0], product, number=Decimal(rng.choice(WEIGHTS)), position=2)
        _assign(assignments, chosen, attributes["waterproof"][0], product, boolean=rng.random() < 0.3, position=3)
        _assign(assignments, chosen, attributes["care"][0], product, text=rng.choice(CARE), position=4)
        base = Decimal(rng.randrange(500, 25000)) / 100
        for v in range(rng.randint(1, 5)):
            color_name, size_name = COLORS[(n + v) % len(COLORS)], SIZES[v % len(SIZES)]
            variant = ProductVariant(
                product=product,
                sku=f"SKU-{n:05d}-{v + 1}",
                name=f"{color_name} / {size_name}",
                price=base + Decimal(v * 5),
                stock=0 if rng.random() < 0.1 else rng.randint(1, 60),
                position=v,
            )
            variants.append(variant)
            _assign(assignments, chosen, color, product, variant, values=[colors[color_name]], position=1)
            _assign(assignments, chosen, size, product, variant, values=[sizes[size_name]], position=2)
        for i in range(rng.randint(1, 3)):
            images.append(
                ProductImage(
                    product=product,
                    url=f"https://picsum.photos/seed/{slug}-{i}/800/800",
                    alt=f"{name}, view {i + 1}",
                    position=i,
                )
            )
        for r in range(rng.randint(0, 4)):
            rating = rng.choice([5, 5, 4, 4, 4, 3, 2, 1])
            reviews.append(
                Review(
                    product=product,
                    author_name=AUTHORS[(n + r) % len(AUTHORS)],
                    rating=rating,
                    title=REVIEW_TITLES[rating],
                    body=f"{REVIEW_TITLES[rating]}. Bought the {name.lower()}.",
                    verified_purchase=rng.random() < 0.6,
                )
            )
    Product.objects.bulk_create(new_products, batch_size=1000)
    for model, rows in ((ProductVariant, variants), (ProductImage, images), (Review, reviews)):
        for row in rows:
            row.product_id = row.product.pk  # assigned by the bulk insert above
        model.objects.bulk_create(rows, batch_size=2000)
    for assignment in assignments:
        assignment.product_id = assignment.product.pk
        assignment.variant_id = assignment.variant.pk if assignment.variant else None
    AttributeAssignment.objects.bulk_create(assignments, batch_size=2000)
    AssignedValue.objects.bulk_create([AssignedValue(assignment_id=a.pk, value=v, product_id=a.product_id,
                                                 attribute_id=a.attribute_id) for a, v in chosen], batch_size=5000)
    if new_products:
        services.refresh_products([p.pk for p in new_products])
    return len(new_products)
