"""Order lines keep the regular price beside the price paid, now that sales lower prices. Lines placed before
there were sales were paid at the regular price, so theirs is their unit price: one UPDATE, then NOT NULL."""
from django.db import migrations, models
from django.db.models import F


def undiscounted_is_what_was_paid(apps, schema_editor):
    apps.get_model("orders", "OrderLine").objects.filter(undiscounted_unit_price__isnull=True).update(
        undiscounted_unit_price=F("unit_price"))


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0003_order_account_deleted_and_erased'),
    ]

    operations = [
        migrations.AddField(
            model_name='orderline',
            name='undiscounted_unit_price',
            field=models.DecimalField(decimal_places=2, max_digits=12, null=True),
        ),
        migrations.RunPython(undiscounted_is_what_was_paid, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='orderline',
            name='undiscounted_unit_price',
            field=models.DecimalField(decimal_places=2, max_digits=12),
        ),
    ]
