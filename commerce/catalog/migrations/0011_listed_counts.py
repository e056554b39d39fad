"""ListedCount, the published products per category (descendants included) and in the whole catalog, kept by
triggers so that every writer is counted in its own transaction: the services, the admin, bulk `.update()`s,
the seeder's bulk inserts. Statement-level triggers see a bulk write once (its transition table), so seeding a
million products adds one grouped upsert per statement; only a change of `is_published` is counted per row.

Upserts lock the counters in key order, so two writers never wait on each other's counters crosswise.
Deleting a product: Django deletes its listings first (decrementing its categories while the product still says
whether it was published), then the product (decrementing the whole catalog). PostgreSQL only: SQLite counts.
"""
from django.db import migrations, models


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


UPSERT = """ON CONFLICT (key) DO UPDATE SET products = catalog_listedcount.products + EXCLUDED.products"""

FORWARD = f"""
CREATE FUNCTION catalog_count_listed() RETURNS trigger AS $$
BEGIN
    INSERT INTO catalog_listedcount (key, products)
        SELECT l.category_id, count(*) FROM listed_rows l JOIN catalog_product p ON p.id = l.product_id
        WHERE p.is_published GROUP BY l.category_id ORDER BY l.category_id
    {UPSERT};
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION catalog_count_unlisted() RETURNS trigger AS $$
BEGIN
    INSERT INTO catalog_listedcount (key, products)
        SELECT l.category_id, -count(*) FROM unlisted_rows l JOIN catalog_product p ON p.id = l.product_id
        WHERE p.is_published GROUP BY l.category_id ORDER BY l.category_id
    {UPSERT};
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION catalog_count_added_products() RETURNS trigger AS $$
BEGIN
    INSERT INTO catalog_listedcount (key, products)
        SELECT 0, count(*) FROM added_rows WHERE is_published HAVING count(*) > 0
    {UPSERT};
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION catalog_count_removed_products() RETURNS trigger AS $$
BEGIN
    INSERT INTO catalog_listedcount (key, products)
        SELECT 0, -count(*) FROM removed_rows WHERE is_published HAVING count(*) > 0
    {UPSERT};
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION catalog_count_publishing() RETURNS trigger AS $$
BEGIN
    INSERT INTO catalog_listedcount (key, products)
        SELECT key, CASE WHEN NEW.is_published THEN 1 ELSE -1 END FROM (
            SELECT 0 AS key UNION ALL
            SELECT category_id FROM catalog_product_listed_in WHERE product_id = NEW.id
        ) keys ORDER BY key
    {UPSERT};
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER catalog_listed_counted AFTER INSERT ON catalog_product_listed_in
    REFERENCING NEW TABLE AS listed_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_count_listed();
CREATE TRIGGER catalog_unlisted_counted AFTER DELETE ON catalog_product_listed_in
    REFERENCING OLD TABLE AS unlisted_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_count_unlisted();
CREATE TRIGGER catalog_added_products_counted AFTER INSERT ON catalog_product
    REFERENCING NEW TABLE AS added_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_count_added_products();
CREATE TRIGGER catalog_removed_products_counted AFTER DELETE ON catalog_product
    REFERENCING OLD TABLE AS removed_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_count_removed_products();
CREATE TRIGGER catalog_publishing_counted AFTER UPDATE OF is_published ON catalog_product
    FOR EACH ROW WHEN (OLD.is_published IS DISTINCT FROM NEW.is_published)
    EXECUTE FUNCTION catalog_count_publishing();

INSERT INTO catalog_listedcount (key, products)
    SELECT 0, count(*) FROM catalog_product WHERE is_published
    UNION ALL
    SELECT l.category_id, count(*) FROM catalog_product_listed_in l JOIN catalog_product p ON p.id = l.product_id
    WHERE p.is_published GROUP BY l.category_id;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS catalog_listed_counted ON catalog_product_listed_in;
DROP TRIGGER IF EXISTS catalog_unlisted_counted ON catalog_product_listed_in;
DROP TRIGGER IF EXISTS catalog_added_products_counted ON catalog_product;
DROP TRIGGER IF EXISTS catalog_removed_products_counted ON catalog_product;
DROP TRIGGER IF EXISTS catalog_publishing_counted ON catalog_product;
DROP FUNCTION IF EXISTS catalog_count_listed();
DROP FUNCTION IF EXISTS catalog_count_unlisted();
DROP FUNCTION IF EXISTS catalog_count_added_products();
DROP FUNCTION IF EXISTS catalog_count_removed_products();
DROP FUNCTION IF EXISTS catalog_count_publishing();
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0010_keyset_indexes")]

    operations = [
        migrations.CreateModel(
            name="ListedCount",
            fields=[
                ("key", models.PositiveIntegerField(help_text="A category's id, or 0 for the whole catalog.",
                                                    primary_key=True, serialize=False)),
                ("products", models.IntegerField(default=0)),
            ],
        ),
        PostgresOnlySQL(FORWARD, BACKWARD),
    ]
