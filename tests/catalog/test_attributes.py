"""Typed attributes: staff define them and set them on products and variants, values of the wrong type are refused
on their field, and the old free-form JSON folds into them."""
import pytest
from strawberry import relay

from commerce.catalog.attribute_json import fold_attribute_json
from commerce.catalog.models import AttributeAssignment, ProductAttribute, ProductVariant
from tests.catalog.test_staff_catalog import gid, run

SELECTED = "attribute { slug name type } values { slug name }"
ATTRIBUTE = "attribute { id slug name type filterable values { slug name } }"
CREATE = f"""mutation ($input: ProductAttributeCreateInput!) {{ productAttributeCreate(input: $input) {{ {ATTRIBUTE}
  errors {{ field code message }} }} }}"""
UPDATE = f"""mutation ($id: ID!, $input: ProductAttributeUpdateInput!) {{ productAttributeUpdate(id: $id, input: $input)
  {{ {ATTRIBUTE} errors {{ field code }} }} }}"""
DELETE = "mutation ($id: ID!) { productAttributeDelete(id: $id) { attribute { id slug } errors { field code } } }"
SET = f"""mutation ($id: ID!, $attributes: [AttributeAssignInput!]!) {{ productAttributesSet(id: $id,
  attributes: $attributes) {{ product {{ attributes {{ {SELECTED} }} }} errors {{ field code message }} }} }}"""
VARIANT_CREATE = f"""mutation ($product: ID!, $input: VariantCreateInput!) {{ variantCreate(productId: $product,
  input: $input) {{ variant {{ sku options {{ {SELECTED} }} attributes {{ name value }} }} errors {{ field code }} }} }}"""
VARIANT_UPDATE = f"""mutation ($id: ID!, $input: VariantUpdateInput!) {{ variantUpdate(id: $id, input: $input) {{
  variant {{ options {{ {SELECTED} }} attributes {{ name value }} }} errors {{ field code }} }} }}"""


@pytest.fixture
def lamp(make_product):
    return make_product("Oak Lamp", variants=[("55.50", 3)], options=[[]])


def test_staff_define_an_attribute_with_its_values_and_a_slug_from_its_name(staff_gql):
    created = run(staff_gql, CREATE, input={"name": "Shoe size", "type": "CHOICE", "filterable": True,
                                            "values": ["38", "39", "40½"]})
    assert created["errors"] == []
    assert created["attribute"]["slug"] == "shoe-size" and created["attribute"]["type"] == "CHOICE"
    assert [v["name"] for v in created["attribute"]["values"]] == ["38", "39", "40½"]
    again = run(staff_gql, CREATE, input={"name": "Shoe size", "slug": "shoe-size", "type": "NUMBER"})
    assert again["errors"][0]["field"] == ["input", "slug"] and again["errors"][0]["code"] == "ALREADY_EXISTS"
    typed = run(staff_gql, CREATE, input={"name": "Weight", "type": "NUMBER", "values": ["1"]})
    assert typed["attribute"] is None and typed["errors"][0]["field"] == ["input", "values"]


def test_only_staff_write_attributes_but_anyone_reads_the_definitions(gql, customer, defined):
    response = gql(CREATE, {"input": {"name": "Colour", "type": "CHOICE"}})
    assert response.codes == ["FORBIDDEN"] and ProductAttribute.objects.filter(name="Colour").count() == 0
    listed = gql("""{ productAttributes(first: 10, filterable: true) { totalCount edges { node { slug
        values { slug } } } } }""").ok()["productAttributes"]
    assert [e["node"]["slug"] for e in listed["edges"]] == ["color", "material", "size", "waterproof", "weight"]
    assert listed["edges"][0]["node"]["values"] == [{"slug": "red"}, {"slug": "blue"}, {"slug": "green"}]


def test_updating_the_values_keeps_renamed_ones_adds_new_ones_and_unsets_removed_ones(staff_gql, defined, lamp):
    run(staff_gql, SET, id=gid(lamp), attributes=[{"attributeId": gid(defined.material), "values": ["cotton", "wool"]}])
    updated = run(staff_gql, UPDATE, id=gid(defined.material), input={"values": ["COTTON", "Linen"], "name": "Fabric"})
    assert updated["errors"] == [] and updated["attribute"]["name"] == "Fabric"
    assert updated["attribute"]["values"] == [{"slug": "cotton", "name": "COTTON"}, {"slug": "linen", "name": "Linen"}]
    product = staff_gql("query ($id: ID!) { node(id: $id) { ... on Product { attributes { values { slug } } } } }",
                        {"id": gid(lamp)}).ok()["node"]
    assert product["attributes"] == [{"values": [{"slug": "cotton"}]}]  # wool was removed with its value


def test_a_product_gets_a_value_of_each_type_and_one_without_a_value_is_removed(staff_gql, defined, lamp):
    result = run(staff_gql, SET, id=gid(lamp), attributes=[
        {"attributeId": gid(defined.material), "values": ["Wool", "cotton"]},
        {"attributeId": gid(defined.weight), "number": 1250.5},
        {"attributeId": gid(defined.waterproof), "boolean": False},
        {"attributeId": gid(defined.care), "text": "  Wipe clean "}])
    assert result["errors"] == []
    assert [(a["attribute"]["slug"], [(v["slug"], v["name"]) for v in a["values"]])
            for a in result["product"]["attributes"]] == [
        ("material", [("cotton", "Cotton"), ("wool", "Wool")]), ("weight", [("1250.5", "1250.5")]),
        ("waterproof", [("false", "No")]), ("care", [("wipe-clean", "Wipe clean")])]
    removed = run(staff_gql, SET, id=gid(lamp), attributes=[{"attributeId": gid(defined.weight)}])
    assert [a["attribute"]["slug"] for a in removed["product"]["attributes"]] == ["material", "waterproof", "care"]


def test_a_value_of_the_wrong_type_is_an_error_on_its_field_and_nothing_is_written(staff_gql, defined, lamp):
    result = run(staff_gql, SET, id=gid(lamp), attributes=[
        {"attributeId": gid(defined.care), "text": "Wipe clean"},
        {"attributeId": gid(defined.weight), "boolean": True},
        {"attributeId": gid(defined.color), "values": ["red", "blue"]},
        {"attributeId": gid(defined.size), "values": ["XXL"]},
        {"attributeId": gid(defined.waterproof), "number": 1}])
    assert result["product"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        (["attributes", "1", "boolean"], "INVALID"), (["attributes", "2", "values"], "INVALID"),
        (["attributes", "3", "values", "0"], "NOT_FOUND"), (["attributes", "4", "number"], "INVALID")]
    assert AttributeAssignment.objects.filter(product=lamp).count() == 0
    unknown = staff_gql(SET, {"id": gid(lamp), "attributes": [{"attributeId": relay.to_base64("ProductAttribute", 999),
                                                                "text": "x"}]}).ok()["productAttributesSet"]
    assert unknown["errors"] == [{"field": ["attributes", "0", "attributeId"], "code": "NOT_FOUND",
                                  "message": "No such attribute."}]


def test_variant_options_are_set_on_create_and_update_and_read_as_pairs(staff_gql, defined, lamp):
    created = run(staff_gql, VARIANT_CREATE, product=gid(lamp), input={
        "sku": "LAMP-RED-M", "price": "60.00",
        "options": [{"attributeId": gid(defined.color), "values": ["red"]},
                    {"attributeId": gid(defined.size), "values": ["M"]}]})
    assert created["errors"] == []
    assert created["variant"]["attributes"] == [{"name": "Color", "value": "Red"}, {"name": "Size", "value": "M"}]
    variant = ProductVariant.objects.get(sku="LAMP-RED-M")
    updated = run(staff_gql, VARIANT_UPDATE, id=gid(variant), input={
        "options": [{"attributeId": gid(defined.color), "values": ["blue"]}, {"attributeId": gid(defined.size)}]})
    assert updated["variant"]["attributes"] == [{"name": "Color", "value": "Blue"}]
    assert AttributeAssignment.objects.get(variant=variant).product_id == lamp.pk  # a variant's option names its product
    multi = run(staff_gql, VARIANT_UPDATE, id=gid(variant), input={
        "options": [{"attributeId": gid(defined.material), "values": ["wool"]}]})
    assert multi["errors"] == [{"field": ["input", "options", "0", "attributeId"], "code": "INVALID"}]


def test_the_old_attribute_pairs_still_set_options_folded_onto_the_definitions(staff_gql, defined, lamp):
    created = run(staff_gql, VARIANT_CREATE, product=gid(lamp), input={
        "sku": "LAMP-1", "price": "60.00", "attributes": [{"name": "colour", "value": "RED"},
                                                          {"name": "Finish", "value": "Matt"}]})
    assert created["variant"]["attributes"] == [{"name": "Color", "value": "Red"}, {"name": "Finish", "value": "Matt"}]
    assert ProductAttribute.objects.filter(slug__in=["color", "finish"]).count() == 2


def test_deleting_an_attribute_unsets_it_everywhere(staff_gql, defined, lamp):
    run(staff_gql, SET, id=gid(lamp), attributes=[{"attributeId": gid(defined.weight), "number": 3}])
    deleted = run(staff_gql, DELETE, id=gid(defined.weight))
    assert deleted == {"attribute": {"id": gid(defined.weight), "slug": "weight"}, "errors": []}
    assert AttributeAssignment.objects.filter(product=lamp).count() == 0


def test_a_product_page_lists_attributes_and_options_in_a_constant_number_of_queries(gql, defined, make_product):
    from commerce.catalog import attributes

    for n in range(3):
        product = make_product(f"Shirt {n}", variants=[("10.00", 1)] * 3, options=[[], [], []])
        attributes.set_product_attributes(product.pk, [attributes.Assign(defined.material.pk, values=["cotton"]),
                                                       attributes.Assign(defined.weight.pk, number=250)])
        for variant, size in zip(product.variants.all(), "SML"):
            attributes.set_variant_options(variant, [attributes.Assign(defined.size.pk, values=[size])], path=[])
    response = gql(f"""{{ products(first: 3) {{ edges {{ node {{ attributes {{ {SELECTED} }}
        variants {{ options {{ {SELECTED} }} }} }} }} }} }}""")
    edges = response.ok()["products"]["edges"]
    assert [o["values"][0]["slug"] for o in edges[0]["node"]["variants"][2]["options"]] == ["l"]
    assert [a["attribute"]["slug"] for a in edges[0]["node"]["attributes"]] == ["material", "weight"]  # no options
    assert edges[0]["node"]["attributes"][1]["values"] == [{"slug": "250", "name": "250"}]
    # products; their attributes (with the definition), values; variants; options (with definition), values
    assert response.queries == 6


def test_the_json_folds_into_attributes_naming_what_it_folded_and_again_adds_nothing(make_product):
    """The migration's own function, on rows as the old code wrote them."""
    shirt = make_product("Shirt", variants=[("10.00", 1)] * 3, options=[[], [], []])
    old = [[{"name": "Colour", "value": "Navy Blue"}, {"name": "Size ", "value": "M"}],
           [{"name": "color", "value": "navy-blue"}, {"name": "size", "value": "L"}, {"name": "Color", "value": "Red"}],
           [{"name": "Color", "value": "Red"}, "not a pair", {"name": "", "value": "x"}, {"name": "Fit", "value": ""}]]
    for variant, pairs in zip(shirt.variants.order_by("pk"), old):
        ProductVariant.objects.filter(pk=variant.pk).update(legacy_attributes=pairs)
    ProductVariant.objects.filter(sku="nothing").update(legacy_attributes={"not": "a list"})

    report = fold_attribute_json()
    assert (report.attributes_created, report.values_created, report.options_created) == (2, 4, 5)
    # each named by its most used spelling ("Size " is "Size"), the rest by use and then by code point
    assert report.folded_names == {"Color": ["Color", "Colour", "color"], "Size": ["Size", "size"]}
    assert sorted(report.folded_values["Color: Navy Blue"]) == ["Navy Blue", "navy-blue"]
    color = ProductAttribute.objects.get(slug="color")
    assert (color.type, color.filterable) == ("CHOICE", True)
    assert {v.slug for v in color.values.all()} == {"navy-blue", "red"}
    options = {(a.variant.sku, a.attribute.slug, tuple(v.slug for v in a.values.all()))
               for a in AttributeAssignment.objects.filter(product=shirt)}
    first, second, third = (v.sku for v in shirt.variants.order_by("pk"))
    assert options == {(first, color.slug, ("navy-blue",)), (first, "size", ("m",)),
                       (second, color.slug, ("navy-blue",)), (second, "size", ("l",)), (third, color.slug, ("red",))}

    again = fold_attribute_json()
    assert (again.attributes_created, again.values_created, again.options_created) == (0, 0, 0)
    assert AttributeAssignment.objects.filter(product=shirt).count() == 5
