"""A customer's address book: their own addresses only, validated, and nobody else's reachable by ID."""
import pytest
from django.test import override_settings

from commerce.accounts.models import User

FIELDS = "id firstName lastName line1 line2 city postalCode countryCode phone"
CREATE = f"mutation ($input: AddressInput!) {{ addressCreate(input: $input) {{ address {{ {FIELDS} }} errors {{ field code }} }} }}"
UPDATE = f"""mutation ($id: ID!, $input: AddressInput!) {{
  addressUpdate(id: $id, input: $input) {{ address {{ {FIELDS} }} errors {{ field code }} }} }}"""
DELETE = "mutation ($id: ID!) { addressDelete(id: $id) { address { id city } errors { field code } } }"
HOME = {"firstName": "Alice", "lastName": "Liddell", "line1": "1 Rabbit Hole", "city": "Oxford",
        "postalCode": "OX1 1AA", "countryCode": "gb"}


@pytest.fixture
def alice_gql(gql, alice):
    return gql.login(alice)


@pytest.fixture
def bobs_address(db):
    from commerce.accounts.models import Address

    bob = User.objects.create_user("bob@example.com", "bobs own passphrase")
    return Address.objects.create(user=bob, first_name="Bob", last_name="B", line1="2 Road", city="Leeds",
                                  postal_code="LS1", country_code="GB")


def global_id(address) -> str:
    from strawberry import relay

    return str(relay.GlobalID("Address", str(address.pk)))


def test_a_customer_keeps_an_address_book(alice_gql):
    created = alice_gql(CREATE, {"input": HOME}).ok()["addressCreate"]
    assert created["errors"] == []
    address = created["address"]
    assert address["countryCode"] == "GB" and address["line2"] == "" and address["phone"] == ""

    moved = alice_gql(UPDATE, {"id": address["id"], "input": {**HOME, "city": "Bath", "phone": "+44 1225"}}).ok()
    assert moved["addressUpdate"]["address"]["city"] == "Bath"
    me = alice_gql("{ me { addresses { id city phone } } }").ok()["me"]
    assert me["addresses"] == [{"id": address["id"], "city": "Bath", "phone": "+44 1225"}]

    deleted = alice_gql(DELETE, {"id": address["id"]}).ok()["addressDelete"]
    assert deleted == {"address": {"id": address["id"], "city": "Bath"}, "errors": []}
    assert alice_gql("{ me { addresses { id } } }").ok()["me"]["addresses"] == []


def test_someone_elses_address_is_not_found(alice_gql, bobs_address):
    bobs = global_id(bobs_address)
    assert alice_gql(UPDATE, {"id": bobs, "input": HOME}).ok()["addressUpdate"] == {
        "address": None, "errors": [{"field": ["id"], "code": "NOT_FOUND"}]}
    assert alice_gql(DELETE, {"id": bobs}).ok()["addressDelete"]["errors"] == [{"field": ["id"], "code": "NOT_FOUND"}]
    assert alice_gql("query ($id: ID!) { node(id: $id) { id } }", {"id": bobs}).ok() == {"node": None}
    bobs_address.refresh_from_db()
    assert bobs_address.city == "Leeds"


def test_the_owner_finds_their_address_by_node_id(gql, bobs_address):
    gql.login(bobs_address.user)
    node = gql("query ($id: ID!) { node(id: $id) { ... on Address { city } } }", {"id": global_id(bobs_address)})
    assert node.ok() == {"node": {"city": "Leeds"}}


def test_another_customer_is_invisible_but_staff_see_accounts(gql, alice, staff_user):
    from strawberry import relay

    query = "query ($id: ID!) { node(id: $id) { ... on User { email } } }"
    alice_id = str(relay.GlobalID("User", str(alice.pk)))
    other = User.objects.create_user("carol@example.com", "carols passphrase")
    assert gql.login(other)(query, {"id": alice_id}).ok() == {"node": None}
    assert gql.login(staff_user)(query, {"id": alice_id}).ok() == {"node": {"email": "alice@example.com"}}


@pytest.mark.parametrize("mutation, variables", [
    (CREATE, {"input": HOME}),
    (DELETE, {"id": "QWRkcmVzczox"}),
])
def test_the_address_book_needs_a_signed_in_customer(gql, db, mutation, variables):
    response = gql(mutation, variables)
    assert response.codes == ["UNAUTHENTICATED"] and response.data is None


@pytest.mark.parametrize("change, error", [
    ({"city": "  "}, (["input", "city"], "REQUIRED")),
    ({"countryCode": "ZZ"}, (["input", "countryCode"], "INVALID")),
    ({"countryCode": "GBR"}, (["input", "countryCode"], "INVALID")),
    ({"postalCode": "1" * 21}, (["input", "postalCode"], "INVALID")),
])
def test_an_invalid_address_is_refused_on_its_field_and_not_saved(alice_gql, alice, change, error):
    payload = alice_gql(CREATE, {"input": {**HOME, **change}}).ok()["addressCreate"]
    assert payload["address"] is None
    assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == error
    assert alice.addresses.count() == 0


def test_an_id_of_the_wrong_kind_is_an_input_error(alice_gql):
    product_id = "UHJvZHVjdDox"  # Product:1
    payload = alice_gql(DELETE, {"id": product_id}).ok()["addressDelete"]
    assert payload["errors"] == [{"field": ["id"], "code": "INVALID"}]


@override_settings(MAX_ADDRESSES_PER_USER=2)
def test_an_address_book_has_a_limit(alice_gql):
    for _ in range(2):
        assert alice_gql(CREATE, {"input": HOME}).ok()["addressCreate"]["errors"] == []
    assert alice_gql(CREATE, {"input": HOME}).ok()["addressCreate"]["errors"] == [{"field": None, "code": "INVALID"}]


@pytest.mark.parametrize("count", [1, 10])
def test_me_with_the_address_book_costs_three_queries_at_any_size(gql, alice, count):
    from commerce.accounts.models import Address

    Address.objects.bulk_create(
        Address(user=alice, first_name="A", last_name="L", line1=f"{i} Road", city="Bath", postal_code="BA1",
                country_code="GB") for i in range(count))
    response = gql.login(alice)("{ me { email addresses { line1 } } }")
    assert len(response.ok()["me"]["addresses"]) == count
    assert response.queries == 3  # the token's user, the user, the addresses
