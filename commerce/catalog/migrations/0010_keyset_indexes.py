"""The indexes keyset pages read: RATING sorts on one non-null key per direction (unrated last either way), each
served by its own expression index; the plain (rating, id) index served neither direction's NULLS LAST order.

Built CONCURRENTLY on PostgreSQL, so a live catalog keeps taking writes while they build (hence not atomic);
SQLite, which has no such thing, gets plain CREATE/DROP INDEX.
"""
from decimal import Decimal

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models
from django.db.models.functions import Coalesce


class AddIndex(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndex(RemoveIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("catalog", "0009_attributes_from_json")]

    operations = [
        AddIndex(
            model_name="product",
            index=models.Index(Coalesce("rating_average", models.Value(Decimal("10"))), models.F("id"),
                               name="product_rating_asc_idx"),
        ),
        AddIndex(
            model_name="product",
            index=models.Index(models.OrderBy(Coalesce("rating_average", models.Value(Decimal("-1"))), descending=True),
                               models.OrderBy(models.F("id"), descending=True), name="product_rating_desc_idx"),
        ),
        RemoveIndex(model_name="product", name="product_rating_idx"),
    ]
