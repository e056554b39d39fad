"""Typed attributes: definitions, their values, and their assignments to products and variants."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0007_sales'),
    ]

    operations = [
        migrations.CreateModel(
            name='AttributeValue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(max_length=100)),
                ('name', models.CharField(max_length=100)),
                ('position', models.PositiveIntegerField(default=0)),
            ],
            options={
                'ordering': ['position', 'id'],
            },
        ),
        # The JSON stays in its column (`attributes`), under a new name in the model: nothing moves on disk.
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RenameField(model_name='productvariant', old_name='attributes', new_name='legacy_attributes'),
            migrations.AlterField(
                model_name='productvariant',
                name='legacy_attributes',
                field=models.JSONField(blank=True, db_column='attributes', default=list, editable=False),
            ),
        ]),
        migrations.CreateModel(
            name='AttributeAssignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.DecimalField(blank=True, decimal_places=4, max_digits=14, null=True)),
                ('boolean', models.BooleanField(blank=True, null=True)),
                ('text', models.CharField(blank=True, default='', max_length=250)),
                ('position', models.PositiveIntegerField(default=0)),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attribute_assignments', to='catalog.product')),
                ('variant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='options', to='catalog.productvariant')),
            ],
            options={
                'ordering': ['position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='AssignedValue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('product', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.product')),
                ('assignment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assigned_values', to='catalog.attributeassignment')),
                ('value', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assigned', to='catalog.attributevalue')),
            ],
        ),
        migrations.AddField(
            model_name='attributeassignment',
            name='values',
            field=models.ManyToManyField(blank=True, related_name='assignments', through='catalog.AssignedValue', to='catalog.attributevalue'),
        ),
        migrations.CreateModel(
            name='ProductAttribute',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(max_length=100, unique=True)),
                ('name', models.CharField(max_length=100)),
                ('type', models.CharField(choices=[('CHOICE', 'one of the values'), ('MULTI_CHOICE', 'several of the values'), ('NUMBER', 'a number'), ('BOOLEAN', 'yes or no'), ('TEXT', 'free text')], default='CHOICE', max_length=16)),
                ('filterable', models.BooleanField(default=False)),
            ],
            options={
                'ordering': ['name', 'id'],
                'indexes': [models.Index(fields=['filterable'], name='attribute_filterable_idx')],
            },
        ),
        migrations.AddField(
            model_name='attributevalue',
            name='attribute',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='values', to='catalog.productattribute'),
        ),
        migrations.AddField(
            model_name='attributeassignment',
            name='attribute',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='catalog.productattribute'),
        ),
        migrations.AddField(
            model_name='assignedvalue',
            name='attribute',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.productattribute'),
        ),
        migrations.AddConstraint(
            model_name='attributevalue',
            constraint=models.UniqueConstraint(fields=('attribute', 'slug'), name='attribute_value_slug_unique'),
        ),
        migrations.AddIndex(
            model_name='attributeassignment',
            index=models.Index(fields=['product', 'attribute'], name='assignment_product_idx'),
        ),
        migrations.AddIndex(
            model_name='attributeassignment',
            index=models.Index(fields=['attribute', 'number', 'product'], name='assignment_number_idx'),
        ),
        migrations.AddIndex(
            model_name='attributeassignment',
            index=models.Index(fields=['attribute', 'boolean', 'product'], name='assignment_boolean_idx'),
        ),
        migrations.AddConstraint(
            model_name='attributeassignment',
            constraint=models.UniqueConstraint(condition=models.Q(('variant__isnull', True)), fields=('product', 'attribute'), name='assignment_one_per_product'),
        ),
        migrations.AddConstraint(
            model_name='attributeassignment',
            constraint=models.UniqueConstraint(condition=models.Q(('variant__isnull', False)), fields=('variant', 'attribute'), name='assignment_one_per_variant'),
        ),
        migrations.AddIndex(
            model_name='assignedvalue',
            index=models.Index(fields=['value', 'product'], name='assigned_value_value_idx'),
        ),
        migrations.AddIndex(
            model_name='assignedvalue',
            index=models.Index(fields=['product', 'attribute', 'value'], name='assigned_value_product_idx'),
        ),
        migrations.AddConstraint(
            model_name='assignedvalue',
            constraint=models.UniqueConstraint(fields=('assignment', 'value'), name='assigned_value_unique'),
        ),
    ]
