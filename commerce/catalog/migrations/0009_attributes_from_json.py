"""The old free-form variant JSON, folded into typed attributes (commerce.catalog.attribute_json says how).

The JSON column stays (ProductVariant.legacy_attributes, read-only), so going back needs nothing undone here and
`manage.py fold_attribute_json` can fold again what the old code wrote during a rolling deploy.
"""
from django.db import migrations

from commerce.catalog.attribute_json import fold_attribute_json


def forward(apps, schema_editor):
    report = fold_attribute_json(apps, using=schema_editor.connection.alias)
    if report.attributes_created or report.options_created:
        for line in report.lines():
            print(f"\n  {line}", end="")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_typed_attributes")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=True)]
