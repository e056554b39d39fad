"""Full-text search on PostgreSQL: a trigger keeps `search_vector` (name weighted A, description B) and a
GIN index serves `@@` and ranking. SQLite has neither, so these operations run on PostgreSQL only and
search there falls back to substring matching (see catalog.selectors)."""
from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


FORWARD = """
CREATE FUNCTION catalog_product_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.description, '')), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER catalog_product_search_vector_update
    BEFORE INSERT OR UPDATE OF name, description, search_vector ON catalog_product
    FOR EACH ROW EXECUTE FUNCTION catalog_product_search_vector();

UPDATE catalog_product SET search_vector = NULL;
CREATE INDEX catalog_product_search_vector_gin ON catalog_product USING GIN (search_vector);
"""

BACKWARD = """
DROP INDEX IF EXISTS catalog_product_search_vector_gin;
DROP TRIGGER IF EXISTS catalog_product_search_vector_update ON catalog_product;
DROP FUNCTION IF EXISTS catalog_product_search_vector();
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [PostgresOnlySQL(FORWARD, BACKWARD)]
