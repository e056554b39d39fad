"""Staff's attribute definitions and their assignment to products and variants.

An assignment holds a value of its attribute's type and nothing else: CHOICE one of the attribute's values,
MULTI_CHOICE any of them, NUMBER a number, BOOLEAN a yes/no, TEXT a text. A value of the wrong type is refused on
the field that carries it, and every problem in one request is reported at once. Setting assignments touches only
the attributes named; one named with no value (no values, no number...) is removed. Writes lock the product
first, as every variant write does.
"""
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Max

from commerce import audit
from commerce.errors import DomainError, DomainErrors, NotFound
from commerce.validation import check_fields

from .attribute_json import attribute_key, attribute_slug, value_slug
from .models import AssignedValue, AttributeAssignment, AttributeValue, Product, ProductAttribute, ProductVariant
from .services import CatalogError

NUMBER_LIMIT = Decimal("1e10")  # what AttributeAssignment.number (14 digits, 4 decimals) holds
TEXT_MAX_LENGTH = AttributeAssignment._meta.get_field("text").max_length
Type = ProductAttribute.Type


@dataclass(frozen=True)
class Assign:
    """One attribute to set: `values` (slugs or names) for CHOICE/MULTI_CHOICE, else `number`, `boolean`, `text`."""

    attribute_id: int
    values: list[str] | None = None
    number: float | Decimal | None = None
    boolean: bool | None = None
    text: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.values and self.number is None and self.boolean is None and not (self.text or "").strip()


# Definitions


def _value_rows(attribute: ProductAttribute, names: list[str], path: list[str]) -> list[AttributeValue]:
    """The attribute's values as `names` list them, in that order: existing ones (by slug) kept and renamed."""
    if not attribute.has_values:
        raise CatalogError(f"A {attribute.type} attribute has no values to choose from.", field=path)
    rows, seen = [], set()
    existing = {v.slug: v for v in attribute.values.all()} if attribute.pk else {}
    for i, name in enumerate(names):
        name = name.strip()
        slug = value_slug(name)
        if not name or len(name) > AttributeValue._meta.get_field("name").max_length:
            raise CatalogError("A value needs a name of at most 100 characters.", field=[*path, str(i)])
        if slug in seen:
            raise CatalogError(f"{name!r} is listed twice.", code="ALREADY_EXISTS", field=[*path, str(i)])
        seen.add(slug)
        value = existing.get(slug) or AttributeValue(attribute=attribute, slug=slug)
        value.name, value.position = name, i
        rows.append(value)
    return rows


def _save_values(attribute: ProductAttribute, rows: list[AttributeValue]) -> None:
    """Make the attribute's values exactly `rows`: the ones left out go, and with them their assignments' picks."""
    attribute.values.exclude(pk__in=[v.pk for v in rows if v.pk]).delete()
    for value in rows:
        value.attribute = attribute
        value.save()


def _free_slug(name: str) -> str:
    """A slug from the name that no attribute has: "shoe-size", then "shoe-size-2", ..."""
    base = attribute_slug(name)[:90]
    taken = set(ProductAttribute.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    n, slug = 1, base
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _save_attribute(attribute: ProductAttribute, generated: bool) -> ProductAttribute:
    """Save, and if another writer took a generated slug at the same moment, take the next one; a slug the caller
    chose that is taken is ALREADY_EXISTS."""
    check_fields(attribute, ["name", "slug", "type"], path=["input"])
    for _ in range(3):
        try:
            with transaction.atomic():
                attribute.save()
                return attribute
        except IntegrityError:
            if not generated:
                break
            attribute.slug = _free_slug(attribute.name)
    raise CatalogError("That slug is taken.", code="ALREADY_EXISTS", field=["input", "slug"])


@transaction.atomic
def create_attribute(*, name: str, type: str, slug: str | None = None, filterable: bool = False,
                     values: list[str] | None = None) -> ProductAttribute:
    generated = not (slug or "").strip()
    attribute = ProductAttribute(name=name.strip(), type=type, filterable=bool(filterable),
                                 slug=_free_slug(name) if generated else slug.strip())
    rows = _value_rows(attribute, values, ["input", "values"]) if values else []
    _save_attribute(attribute, generated)
    _save_values(attribute, rows)
    audit.record(audit.CREATE, attribute, audit.diff({}, _audited(attribute)))
    return attribute


@transaction.atomic
def update_attribute(attribute_id: int, changes: dict) -> ProductAttribute:
    """`values`, when given, is the whole list in order: new names are added, existing ones (by slug) kept and
    renamed, and the ones left out removed, from every product and variant that had them."""
    attribute = ProductAttribute.objects.select_for_update().filter(pk=attribute_id).first()
    if attribute is None:
        raise NotFound("No such attribute.", field=["id"])
    before = _audited(attribute)
    if changes.get("name") is not None:
        attribute.name = changes["name"].strip()
    if changes.get("filterable") is not None:
        attribute.filterable = changes["filterable"]
    rows = _value_rows(attribute, changes["values"], ["input", "values"]) if changes.get("values") is not None else None
    _save_attribute(attribute, generated=False)
    if rows is not None:
        _save_values(attribute, rows)
    audit.record(audit.UPDATE, attribute, audit.diff(before, _audited(attribute)))
    return attribute


@transaction.atomic
def delete_attribute(attribute_id: int) -> ProductAttribute:
    """Delete a definition with its values and every assignment of it; the returned copy keeps its id."""
    attribute = ProductAttribute.objects.select_for_update().filter(pk=attribute_id).first()
    if attribute is None:
        raise NotFound("No such attribute.", field=["id"])
    audit.record(audit.DELETE, attribute, {name: [value, None] for name, value in _audited(attribute).items()})
    attribute.delete()
    attribute.pk = attribute_id
    return attribute


def _audited(attribute: ProductAttribute) -> dict:
    """What the audit log records of a definition: its fields and its values' names, in order."""
    return {**audit.snapshot(attribute, ("name", "slug", "type", "filterable")),
            "values": list(attribute.values.order_by("position", "pk").values_list("name", flat=True))}


# Assignments


def _number(value, path: list[str]) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.0001"))
    except (InvalidOperation, ValueError):
        raise CatalogError("Not a number.", field=path) from None
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise CatalogError(f"A number attribute holds numbers below {NUMBER_LIMIT:,.0f}.", field=path)
    return number


def _typed(attribute: ProductAttribute, assign: Assign, path: list[str], *, option: bool):
    """(number, boolean, text, value rows) for `assign` as `attribute`'s type allows, or the errors on its fields."""
    kind = attribute.type
    errors = []
    given = {"values": bool(assign.values), "number": assign.number is not None,
             "boolean": assign.boolean is not None, "text": bool((assign.text or "").strip())}
    expected = {Type.CHOICE: "values", Type.MULTI_CHOICE: "values", Type.NUMBER: "number", Type.BOOLEAN: "boolean",
                Type.TEXT: "text"}[kind]
    for name, present in given.items():
        if present and name != expected:
            errors.append(CatalogError(f"{attribute.name} is a {kind} attribute: give {expected!r}, not {name!r}.",
                                       field=[*path, name]))
    if option and kind == Type.MULTI_CHOICE:
        errors.append(CatalogError(f"{attribute.name} takes several values, so it cannot tell variants apart.",
                                   field=[*path, "attributeId"]))
    if errors:
        raise DomainErrors(errors)
    if expected == "values":
        if kind == Type.CHOICE and len(assign.values) > 1:
            raise CatalogError(f"{attribute.name} takes one value.", field=[*path, "values"])
        by_slug = {v.slug: v for v in attribute.values.all()}
        rows = []
        for i, given_value in enumerate(assign.values):
            value = by_slug.get(given_value.strip()) or by_slug.get(value_slug(given_value))
            if value is None:
                errors.append(CatalogError(f"{attribute.name} has no value {given_value!r}.", code="NOT_FOUND",
                                           field=[*path, "values", str(i)]))
            elif value not in rows:
                rows.append(value)
        if errors:
            raise DomainErrors(errors)
        return None, None, "", rows
    if expected == "number":
        return _number(assign.number, [*path, "number"]), None, "", []
    if expected == "boolean":
        return None, assign.boolean, "", []
    text = assign.text.strip()
    if len(text) > TEXT_MAX_LENGTH:
        raise CatalogError(f"At most {TEXT_MAX_LENGTH} characters.", field=[*path, "text"])
    return None, None, text, []


def checked(attribute: ProductAttribute, assign: Assign, *, option: bool, path: list[str] = ()):
    """(number, boolean, text, values) for `assign`, as `attribute`'s type allows; the admin's forms check with it."""
    return _typed(attribute, assign, list(path), option=option)


def replace_values(assignment: AttributeAssignment, values: list[AttributeValue]) -> None:
    AssignedValue.objects.filter(assignment=assignment).exclude(value__in=values).delete()
    AssignedValue.objects.bulk_create([
        AssignedValue(assignment=assignment, value=v, product_id=assignment.product_id,
                      attribute_id=assignment.attribute_id) for v in values], ignore_conflicts=True)


def _set(product: Product, variant: ProductVariant | None, assigns: list[Assign], path: list[str]) -> None:
    attributes = ProductAttribute.objects.prefetch_related("values").in_bulk({a.attribute_id for a in assigns})
    existing = {a.attribute_id: a for a in AttributeAssignment.objects.filter(
        product=product, variant=variant, attribute_id__in=attributes)}
    position = (AttributeAssignment.objects.filter(product=product, variant=variant)
                .aggregate(last=Max("position"))["last"] or 0)
    errors, writes, seen = [], [], set()
    for i, assign in enumerate(assigns):
        at = [*path, str(i)]
        attribute = attributes.get(assign.attribute_id)
        if attribute is None:
            errors.append(NotFound("No such attribute.", field=[*at, "attributeId"]))
            continue
        if attribute.pk in seen:
            errors.append(CatalogError(f"{attribute.name} is given twice.", field=[*at, "attributeId"]))
            continue
        seen.add(attribute.pk)
        if assign.is_empty:
            writes.append((attribute, None))
            continue
        try:
            writes.append((attribute, _typed(attribute, assign, at, option=variant is not None)))
        except DomainError as refused:
            errors.extend(refused.errors)
    if errors:
        raise DomainErrors(errors)
    for attribute, typed in writes:
        assignment = existing.get(attribute.pk)
        if typed is None:
            if assignment is not None:
                assignment.delete()
            continue
        if assignment is None:
            position += 1
            assignment = AttributeAssignment(product=product, variant=variant, attribute=attribute, position=position)
        assignment.number, assignment.boolean, assignment.text, rows = typed
        assignment.save()
        replace_values(assignment, rows)


@transaction.atomic
def set_product_attributes(product_id: int, assigns: list[Assign]) -> Product:
    product = Product.objects.select_for_update(no_key=True).filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.", field=["id"])
    _set(product, None, assigns, ["attributes"])
    return product


def set_variant_options(variant: ProductVariant, assigns: list[Assign], *, path: list[str]) -> None:
    """Inside the variant write (its product already locked)."""
    _set(variant.product, variant, assigns, path)


def options_from_pairs(pairs: list[dict]) -> list[Assign]:
    """The old free-form {"name", "value"} pairs as options, folded as the JSON migration folds them: the attribute
    and the value are found by their folded name, and made (a filterable CHOICE, a new value) when missing."""
    attributes = {}
    for attribute in ProductAttribute.objects.order_by("pk"):
        for key in (attribute_key(attribute.name), attribute_key(attribute.slug)):
            attributes.setdefault(key, attribute)
    assigns = []
    for pair in pairs:
        key = attribute_key(pair["name"])
        attribute = attributes.get(key)
        if attribute is None:
            attribute = attributes[key] = create_attribute(name=pair["name"], type=Type.CHOICE, filterable=True)
        if not attribute.has_values:
            raise CatalogError(f"{attribute.name} is a {attribute.type} attribute: set it through 'options'.",
                               field=["input", "attributes"])
        value, _ = AttributeValue.objects.get_or_create(
            attribute=attribute, slug=value_slug(pair["value"]),
            defaults={"name": pair["value"], "position": attribute.values.count()})
        assigns.append(Assign(attribute_id=attribute.pk, values=[value.slug]))
    return assigns
