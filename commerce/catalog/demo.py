"""A realistic, deterministic demo catalog, for `make run`, the tests' fixtures and the benchmarks.

The same N always yields the same products (slugs `<noun>-<n>`, SKUs `SKU-<n>-<v>`), and seeding again only
adds what is missing, so it is safe to run twice and to grow a catalog from 200 to 10,000 products.

Past DETAILED_PRODUCTS on PostgreSQL (the benchmarks' 100,000 and 1,000,000), products are made by SQL in batches
(`INSERT ... SELECT generate_series`, one transaction each, progress reported): the same names, categories, price
and stock spread, variants, images and reviews, from a hash of N instead of Python's random, but without attribute
assignments, which would be most of the rows and the time. Building a million products as Python objects took
about 30 minutes; this takes minutes.
"""
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import connection, transaction

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


DETAILED_PRODUCTS = 10_000  # made in Python with every attribute; past it, made in bulk SQL on PostgreSQL
BULK_BATCH = 50_000


def seed_catalog(products: int, progress: Callable[[str], None] | None = None, *,
                 detailed: int = DETAILED_PRODUCTS, batch: int = BULK_BATCH) -> int:
    """Ensure products 1..N exist; returns how many were created. The first `detailed` in Python, the rest (on
    PostgreSQL) in SQL batches of `batch`, each committed, calling `progress` with a line after each."""
    if connection.vendor != "postgresql" or products <= detailed:
        return _seed_detailed(products)
    created = _seed_detailed(detailed)
    for low in range(detailed + 1, products + 1, batch):
        high = min(products, low + batch - 1)
        created += _seed_bulk(low, high)
        if progress:
            progress(f"products {low:,}..{high:,} of {products:,}: {created:,} created so far")
    return created


# A deterministic stand-in for random.Random(n): a number in [0, k) from n and a salt.
_PICK = "mod(hashint8extended(({n})::bigint, {salt}) & 2147483647, {k})"


def _pick(n: str, salt: int, k: int) -> str:
    return _PICK.format(n=n, salt=salt, k=k)


@transaction.atomic
def _seed_bulk(low: int, high: int) -> int:
    """Products low..high (those missing), with their variants, images, reviews and listings, in SQL."""
    leaves = seed_categories()
    ancestry = services._ancestry()  # each leaf with its ancestors, as refresh_listings lists them
    slug = "'demo-' || lpad(n::text, greatest(5, length(n::text)), '0')"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE seed_batch (id bigint, n bigint) ON COMMIT DROP")
        cursor.execute(f"""
            WITH made AS (
                INSERT INTO catalog_product (slug, name, description, is_published, created_at, updated_at,
                    min_price, max_price, rating_count, category_id, seo_title, seo_description)
                SELECT {slug}, name, 'A ' || lower(name) || ' from our ' || lower(leaf_name) || ' range, made to last.',
                    mod(n, 25) <> 0, now(), now(), 0, 0, 0, leaf_id, '', ''
                FROM (SELECT n, leaf_id, leaf_name,
                             (%(adjectives)s::text[])[1 + {_pick('n', 1, len(ADJECTIVES))}] || ' ' ||
                             (%(materials)s::text[])[1 + {_pick('n', 2, len(MATERIALS))}] || ' ' ||
                             leaf_single || ' ' || n AS name
                      FROM generate_series(%(low)s::bigint, %(high)s::bigint) n,
                           LATERAL (SELECT (%(leaf_ids)s::bigint[])[1 + mod(n, %(leaf_count)s)] AS leaf_id,
                                           (%(leaf_names)s::text[])[1 + mod(n, %(leaf_count)s)] AS leaf_name,
                                           (%(leaf_singles)s::text[])[1 + mod(n, %(leaf_count)s)] AS leaf_single) leaf
                     ) rows
                ON CONFLICT (slug) DO NOTHING
                RETURNING id, slug
            )
            INSERT INTO seed_batch SELECT id, substring(slug from 6)::bigint FROM made""", {
            "low": low, "high": high, "adjectives": ADJECTIVES, "materials": MATERIALS,
            "leaf_ids": [leaf.pk for leaf in leaves], "leaf_names": [leaf.name for leaf in leaves],
            "leaf_singles": [leaf.name.rstrip("s") for leaf in leaves], "leaf_count": len(leaves),
        })
        cursor.execute(f"""
            INSERT INTO catalog_productvariant (product_id, sku, name, attributes, price, currency, stock, position,
                is_archived)
            SELECT b.id, 'SKU-' || lpad(b.n::text, greatest(5, length(b.n::text)), '0') || '-' || (v + 1),
                (%(colors)s::text[])[1 + mod(b.n + v, {len(COLORS)})] || ' / ' || (%(sizes)s::text[])[1 + mod(v, {len(SIZES)})],
                '[]'::jsonb, (500 + {_pick('b.n', 4, 24500)}) / 100.0 + v * 5, %(currency)s,
                CASE WHEN {_pick('b.n * 8 + v', 5, 10)} = 0 THEN 0 ELSE 1 + {_pick('b.n * 8 + v', 6, 60)} END, v, false
            FROM seed_batch b, generate_series(0, {_pick('b.n', 3, 5)}) v""", {
            "colors": COLORS, "sizes": SIZES, "currency": ProductVariant._meta.get_field("currency").get_default(),
        })
        cursor.execute(f"""
            INSERT INTO catalog_productimage (product_id, url, alt, position, file, renditions)
            SELECT b.id, 'https://picsum.photos/seed/' || p.slug || '-' || i || '/800/800',
                p.name || ', view ' || (i + 1), i, '', '[]'::jsonb
            FROM seed_batch b JOIN catalog_product p ON p.id = b.id, generate_series(0, {_pick('b.n', 7, 3)}) i""")
        cursor.execute(f"""
            INSERT INTO catalog_review (product_id, author_name, rating, title, body, verified_purchase, created_at)
            SELECT id, (%(authors)s::text[])[1 + mod(n + r, {len(AUTHORS)})], rating, title,
                title || '. Bought the ' || lower(name) || '.', {_pick('n * 8 + r', 9, 10)} < 6, now()
            FROM (SELECT b.id, b.n, p.name, r, rating, (%(titles)s::text[])[rating] AS title
                  FROM seed_batch b JOIN catalog_product p ON p.id = b.id,
                       generate_series(0, {_pick('b.n', 8, 5)} - 1) r,
                       LATERAL (SELECT (ARRAY[5, 5, 4, 4, 4, 3, 2, 1])[1 + {_pick('b.n * 8 + r', 10, 8)}] AS rating) x
                 ) rows""", {"authors": AUTHORS, "titles": [REVIEW_TITLES[r] for r in range(1, 6)]})
        listed = [(leaf, category) for leaf, chain in ancestry.items() for category in chain]
        cursor.execute("""
            INSERT INTO catalog_product_listed_in (product_id, category_id)
            SELECT b.id, a.category_id FROM seed_batch b JOIN catalog_product p ON p.id = b.id
            JOIN unnest(%s::bigint[], %s::bigint[]) a(leaf_id, category_id) ON a.leaf_id = p.category_id""",
            [[leaf for leaf, _ in listed], [category for _, category in listed]])
        cursor.execute("SELECT id FROM seed_batch ORDER BY id")
        ids = [pk for (pk,) in cursor.fetchall()]
        cursor.execute("DROP TABLE seed_batch")  # ON COMMIT is later when a caller's transaction holds this one
    if ids:
        services.refresh_price_ranges(ids)
        services.refresh_ratings(ids)
    return len(ids)


@transaction.atomic
def _seed_detailed(products: int) -> int:
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
