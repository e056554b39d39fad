"""Folding the free-form variant JSON of the old catalog (`[{"name": "Colour", "value": "Red"}]`) into typed attributes.

Set-based, so it finishes in minutes on a million products: on PostgreSQL a handful of INSERT ... SELECT statements
over `jsonb_array_elements`, through one temporary table of (variant, name, value) rows; on SQLite (the embedded
demo) the same steps in Python. Safe to run again: it only adds what is missing (an attribute, a value, a variant's
option), so it never overwrites an option staff have set since, and a second run adds nothing.

Names that differ only in case, spacing or punctuation ("Size", "size ", "SIZE"), or by a spelling in SPELLINGS
("Colour", "color"), become one attribute, named by its most used spelling; values fold the same way by their slug
("Navy Blue", "navy-blue"). Each becomes a filterable CHOICE attribute, set on the variant as an option. The report
says what was folded. Called by migration 0009_attributes_from_json and by `manage.py fold_attribute_json`; it takes
the app registry (`apps`) so that the migration runs it on its historical models.
"""
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from hashlib import md5

from django.apps import apps as installed_apps
from django.db import connections, transaction

NAME_MAX, VALUE_MAX = 100, 100

# Spellings of the same name that case and punctuation do not fold (keys: lower-case letters and digits only).
SPELLINGS = {
    "colour": "color", "colours": "color", "colors": "color", "sizes": "size", "flavour": "flavor",
    "flavours": "flavor", "flavors": "flavor", "fibre": "fiber", "materials": "material", "grey": "gray",
}


def attribute_key(name: str) -> str:
    """What names fold on: lower-case letters and digits, British spellings as American ones."""
    name = name.strip()
    key = re.sub(r"[^a-z0-9]+", "", name.lower()) or name.lower()
    return SPELLINGS.get(key, key)


def value_slug(value: str) -> str:
    """A value's slug, which values fold on ("Navy Blue", "navy-blue" and "NAVY BLUE" are one)."""
    value = value.strip()
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:VALUE_MAX].strip("-")
    return slug or f"v-{md5(value.lower().encode()).hexdigest()[:8]}"


def attribute_slug(name: str) -> str:
    name = name.strip()
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:NAME_MAX].strip("-")
    return slug or f"attribute-{md5(attribute_key(name).encode()).hexdigest()[:8]}"


@dataclass
class FoldReport:
    attributes_created: int = 0
    values_created: int = 0
    options_created: int = 0
    folded_names: dict[str, list[str]] = field(default_factory=dict)  # the attribute's name: the spellings folded
    folded_values: dict[str, list[str]] = field(default_factory=dict)  # "Color: Red": the spellings folded

    def lines(self) -> list[str]:
        lines = [f"Typed attributes from JSON: {self.attributes_created} attributes, {self.values_created} values, "
                 f"{self.options_created} variant options created."]
        lines += [f"  folded {', '.join(map(repr, names))} into the attribute {name!r}"
                  for name, names in sorted(self.folded_names.items())]
        lines += [f"  folded {', '.join(map(repr, names))} into the value {name!r}"
                  for name, names in sorted(self.folded_values.items())]
        return lines


def fold_attribute_json(apps=installed_apps, using: str = "default") -> FoldReport:
    with transaction.atomic(using=using):
        if connections[using].vendor == "postgresql":
            return _fold_in_postgresql(apps, using)
        return _fold_in_python(apps, using)


# PostgreSQL: set-based


def _sql_key(column: str) -> str:
    raw = f"coalesce(nullif(regexp_replace(lower(btrim({column})), '[^a-z0-9]+', '', 'g'), ''), lower(btrim({column})))"
    cases = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in SPELLINGS.items())
    return f"(CASE {raw} {cases} ELSE {raw} END)"


def _sql_slug(column: str, fallback_prefix: str, key: str) -> str:
    slug = f"btrim(left(btrim(regexp_replace(lower(btrim({column})), '[^a-z0-9]+', '-', 'g'), '-'), 100), '-')"
    return f"coalesce(nullif({slug}, ''), '{fallback_prefix}' || left(md5({key}), 8))"


def _fold_in_postgresql(apps, using: str) -> FoldReport:
    t = {name: apps.get_model("catalog", model)._meta.db_table for name, model in (
        ("variant", "ProductVariant"), ("attribute", "ProductAttribute"), ("value", "AttributeValue"),
        ("assignment", "AttributeAssignment"), ("assigned", "AssignedValue"))}
    report = FoldReport()
    with connections[using].cursor() as cursor:
        def run(sql: str) -> int:
            cursor.execute(sql.format(**t))
            return cursor.rowcount

        run("DROP TABLE IF EXISTS fold_pairs, fold_names, fold_attributes, fold_choices")
        # Every (variant, name, value) in the JSON, read once; rows that are not {"name", "value"} objects are skipped.
        run(f"""CREATE TEMP TABLE fold_pairs ON COMMIT DROP AS
            SELECT v.id AS variant_id, v.product_id, e.ord::int AS ord, left(btrim(e.item->>'name'), {NAME_MAX}) AS name,
                   left(btrim(e.item->>'value'), {VALUE_MAX}) AS value,
                   {_sql_key("e.item->>'name'")} AS name_key,
                   {_sql_slug("e.item->>'value'", "v-", "lower(btrim(e.item->>'value'))")} AS value_slug
            FROM {{variant}} v CROSS JOIN LATERAL jsonb_array_elements(
                CASE WHEN jsonb_typeof(v.attributes) = 'array' THEN v.attributes ELSE '[]'::jsonb END
            ) WITH ORDINALITY AS e(item, ord)
            WHERE jsonb_typeof(e.item) = 'object' AND coalesce(btrim(e.item->>'name'), '') <> ''
              AND coalesce(btrim(e.item->>'value'), '') <> ''""")
        run("CREATE TEMP TABLE fold_names ON COMMIT DROP AS "
            "SELECT name_key, name, count(*) AS uses FROM fold_pairs GROUP BY name_key, name")
        attribute_key_sql = _sql_key("a.name")
        slug_key_sql = _sql_key("a.slug")
        report.attributes_created = run(f"""INSERT INTO {{attribute}} (slug, name, type, filterable)
            SELECT DISTINCT ON (n.name_key) {_sql_slug("n.name", "attribute-", "n.name_key")}, n.name, 'CHOICE', true
            FROM fold_names n
            WHERE NOT EXISTS (SELECT 1 FROM {{attribute}} a
                              WHERE {attribute_key_sql} = n.name_key OR {slug_key_sql} = n.name_key)
            ORDER BY n.name_key, n.uses DESC, n.name COLLATE "C"
            ON CONFLICT (slug) DO NOTHING""")
        run(f"""CREATE TEMP TABLE fold_attributes ON COMMIT DROP AS
            SELECT DISTINCT ON (n.name_key) n.name_key, a.id AS attribute_id, a.name AS attribute_name
            FROM (SELECT DISTINCT name_key FROM fold_names) n
            JOIN {{attribute}} a ON {attribute_key_sql} = n.name_key OR {slug_key_sql} = n.name_key
            ORDER BY n.name_key, a.id""")
        # Values in the order they first appear in the catalog (the oldest variant's first): XS before XL.
        report.values_created = run("""INSERT INTO {value} (attribute_id, slug, name, position)
            SELECT attribute_id, value_slug, value, row_number() OVER (PARTITION BY attribute_id ORDER BY first_seen)
            FROM (SELECT DISTINCT ON (fa.attribute_id, p.value_slug) fa.attribute_id, p.value_slug, p.value,
                         p.first_seen
                  FROM (SELECT name_key, value_slug, value, count(*) AS uses, min(variant_id) AS first_seen
                        FROM fold_pairs GROUP BY name_key, value_slug, value) p
                  JOIN fold_attributes fa USING (name_key)
                  ORDER BY fa.attribute_id, p.value_slug, p.uses DESC, p.value COLLATE "C") chosen
            ON CONFLICT (attribute_id, slug) DO NOTHING""")
        # A variant's first pair for each attribute ("Colour" and "color" on one variant make one option).
        run("""CREATE TEMP TABLE fold_choices ON COMMIT DROP AS
            SELECT DISTINCT ON (p.variant_id, fa.attribute_id) p.product_id, p.variant_id, fa.attribute_id, p.ord,
                   p.value_slug
            FROM fold_pairs p JOIN fold_attributes fa USING (name_key)
            ORDER BY p.variant_id, fa.attribute_id, p.ord""")
        report.options_created = run("""INSERT INTO {assignment}
                (product_id, variant_id, attribute_id, number, boolean, text, position)
            SELECT product_id, variant_id, attribute_id, NULL, NULL, '', ord FROM fold_choices
            ON CONFLICT (variant_id, attribute_id) WHERE variant_id IS NOT NULL DO NOTHING""")
        run("""INSERT INTO {assigned} (assignment_id, value_id, product_id, attribute_id)
            SELECT a.id, v.id, a.product_id, a.attribute_id FROM fold_choices c
            JOIN {assignment} a ON a.variant_id = c.variant_id AND a.attribute_id = c.attribute_id
            JOIN {value} v ON v.attribute_id = c.attribute_id AND v.slug = c.value_slug
            WHERE NOT EXISTS (SELECT 1 FROM {assigned} x WHERE x.assignment_id = a.id)
            ON CONFLICT (assignment_id, value_id) DO NOTHING""")
        cursor.execute("""SELECT fa.attribute_name, array_agg(n.name ORDER BY n.uses DESC, n.name COLLATE "C")
            FROM fold_names n JOIN fold_attributes fa USING (name_key)
            GROUP BY fa.attribute_name HAVING count(*) > 1""")
        report.folded_names = {name: list(names) for name, names in cursor.fetchall()}
        cursor.execute("""SELECT fa.attribute_name || ': ' || min(v.name), array_agg(DISTINCT p.value)
            FROM (SELECT DISTINCT name_key, value_slug, value FROM fold_pairs) p
            JOIN fold_attributes fa USING (name_key)
            JOIN {value} v ON v.attribute_id = fa.attribute_id AND v.slug = p.value_slug
            GROUP BY fa.attribute_name, p.value_slug HAVING count(DISTINCT p.value) > 1""".format(**t))
        report.folded_values = {name: sorted(values) for name, values in cursor.fetchall()}
        run("DROP TABLE fold_pairs, fold_names, fold_attributes, fold_choices")
    return report


# SQLite (the embedded demo): the same steps in Python


def _fold_in_python(apps, using: str) -> FoldReport:
    Variant = apps.get_model("catalog", "ProductVariant")
    Attribute = apps.get_model("catalog", "ProductAttribute")
    Value = apps.get_model("catalog", "AttributeValue")
    Assignment = apps.get_model("catalog", "AttributeAssignment")
    Assigned = apps.get_model("catalog", "AssignedValue")
    report = FoldReport()

    pairs = []  # (variant_id, product_id, ord, name, value, name_key, value_slug)
    rows = Variant.objects.using(using).order_by("pk").values_list("pk", "product_id", "legacy_attributes")
    for variant_id, product_id, items in rows.iterator(chunk_size=2000):
        for ord, item in enumerate(items if isinstance(items, list) else [], start=1):
            if not isinstance(item, dict):
                continue
            name, value = str(item.get("name") or "").strip()[:NAME_MAX], str(item.get("value") or "").strip()[:VALUE_MAX]
            if name and value:
                pairs.append((variant_id, product_id, ord, name, value, attribute_key(name), value_slug(value)))

    names = Counter((p[5], p[3]) for p in pairs)
    by_key: dict[str, list[str]] = defaultdict(list)
    for (key, name), _ in sorted(names.items(), key=lambda item: (item[0][0], -item[1], item[0][1])):
        by_key[key].append(name)
    attributes = {}
    for attribute in Attribute.objects.using(using).order_by("pk"):
        for key in (attribute_key(attribute.name), attribute_key(attribute.slug)):
            attributes.setdefault(key, attribute)
    taken = set(Attribute.objects.using(using).values_list("slug", flat=True))
    for key, spellings in by_key.items():
        if key not in attributes and attribute_slug(spellings[0]) not in taken:
            attributes[key] = Attribute.objects.using(using).create(
                slug=attribute_slug(spellings[0]), name=spellings[0], type="CHOICE", filterable=True)
            taken.add(attributes[key].slug)
            report.attributes_created += 1
        if len(spellings) > 1 and key in attributes:
            report.folded_names[attributes[key].name] = spellings

    spellings_of = defaultdict(Counter)
    first_seen = {}
    for variant_id, _, _, _, value, key, slug in pairs:
        if key in attributes:
            spellings_of[(attributes[key].pk, slug)][value] += 1
            first_seen.setdefault((attributes[key].pk, slug), variant_id)
    values = {(v.attribute_id, v.slug): v for v in Value.objects.using(using).filter(
        attribute__in={a.pk for a in attributes.values()})}
    for n, (attribute_slug_pair, counts) in enumerate(sorted(spellings_of.items(), key=lambda i: first_seen[i[0]])):
        chosen = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
        if attribute_slug_pair not in values:
            values[attribute_slug_pair] = Value.objects.using(using).create(
                attribute_id=attribute_slug_pair[0], slug=attribute_slug_pair[1], name=chosen, position=n + 1)
            report.values_created += 1
        if len(counts) > 1:
            attribute = next(a for a in attributes.values() if a.pk == attribute_slug_pair[0])
            report.folded_values[f"{attribute.name}: {values[attribute_slug_pair].name}"] = sorted(counts)

    choices = {}
    for variant_id, product_id, ord, _, _, key, slug in pairs:
        if key in attributes:
            choices.setdefault((variant_id, attributes[key].pk), (product_id, ord, slug))
    existing = set(Assignment.objects.using(using).filter(variant__isnull=False).values_list("variant_id", "attribute_id"))
    new = [Assignment(product_id=product_id, variant_id=variant_id, attribute_id=attribute_id, position=ord)
           for (variant_id, attribute_id), (product_id, ord, _) in choices.items()
           if (variant_id, attribute_id) not in existing]
    Assignment.objects.using(using).bulk_create(new, batch_size=2000)
    report.options_created = len(new)
    with_values = set(Assigned.objects.using(using).values_list("assignment_id", flat=True))
    assignments = Assignment.objects.using(using).filter(variant__isnull=False).values_list(
        "pk", "variant_id", "attribute_id", "product_id")
    Assigned.objects.using(using).bulk_create([
        Assigned(assignment_id=pk, value_id=values[(attribute_id, choices[(variant_id, attribute_id)][2])].pk,
                 product_id=product_id, attribute_id=attribute_id)
        for pk, variant_id, attribute_id, product_id in assignments.iterator()
        if pk not in with_values and (variant_id, attribute_id) in choices
    ], batch_size=2000, ignore_conflicts=True)
    return report
