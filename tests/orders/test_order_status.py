"""After checkout: the status machine, who may move an order, restocking, expiry, and staff's order list."""
import datetime as dt

import pytest
from django.test import override_settings
from strawberry import relay

from commerce.accounts.models import User
from commerce.catalog.models import ProductVariant
from commerce.orders import services
from commerce.orders.models import Order
from commerce.payments import services as payments
from tests.carts.conftest import errors
from tests.orders.conftest import CANCEL, DELIVERED, FULFILL, ORDER_BY_ID, place


@pytest.fixture
def placed(gql, store, customer, ready_cart):
    """The customer's UNPAID order for 2 shirts (5 in stock before, 3 after)."""
    payload = place(gql.login(customer), ready_cart((store.shirt, 2), user=customer))
    gql.headers.clear()
    return Order.objects.get(pk=relay.GlobalID.from_id(payload["order"]["id"]).node_id)


def gid(order) -> str:
    return relay.to_base64("Order", order.pk)


def shirts_in_stock(store) -> int:
    return ProductVariant.objects.get(pk=store.shirt.pk).stock


def test_the_owner_cancels_an_unpaid_order_and_the_stock_comes_back_once(gql, store, customer, placed):
    gql.login(customer)
    cancelled = gql(CANCEL, {"id": gid(placed)}).ok()["orderCancel"]
    assert cancelled == {"order": {"status": "CANCELLED", "events": [{"type": "PLACED"}, {"type": "CANCELLED"}]},
                         "errors": []}
    assert shirts_in_stock(store) == 5
    again = gql(CANCEL, {"id": gid(placed)}).ok()["orderCancel"]
    assert errors(again) == [(["id"], "INVALID_TRANSITION")]
    assert shirts_in_stock(store) == 5


def test_an_order_goes_from_paid_to_fulfilled_to_delivered_by_staff(gql, staff_user, placed, pay):
    pay(placed)
    gql.login(staff_user)
    fulfilled = gql(FULFILL, {"id": gid(placed)}).ok()["orderFulfill"]
    assert fulfilled == {"order": {"status": "FULFILLED", "carrier": "DHL", "trackingNumber": "JD0001",
                                   "trackingUrl": "https://track.example/JD0001"}, "errors": []}
    assert gql(DELIVERED, {"id": gid(placed)}).ok()["orderMarkDelivered"] == {"order": {"status": "DELIVERED"}, "errors": []}
    events = gql(ORDER_BY_ID, {"id": gid(placed)}).ok()["order"]["events"]
    assert [(e["type"], e["status"], e["previousStatus"], e["paymentStatus"]) for e in events] == [
        ("PLACED", "UNPAID", None, "NOT_PAID"), ("PAYMENT_SUCCEEDED", "PAID", "UNPAID", "PAID"),
        ("FULFILLED", "FULFILLED", "PAID", "PAID"), ("DELIVERED", "DELIVERED", "FULFILLED", "PAID")]
    assert len({e["id"] for e in events}) == 4


@pytest.mark.parametrize("mutation, code", [(FULFILL, "INVALID_TRANSITION"), (DELIVERED, "INVALID_TRANSITION")])
def test_a_move_the_status_machine_forbids_is_refused(gql, staff_user, placed, mutation, code):
    (payload,) = gql.login(staff_user)(mutation, {"id": gid(placed)}).ok().values()
    assert errors(payload) == [(["id"], code)] and payload["order"] is None
    assert Order.objects.get(pk=placed.pk).status == "UNPAID"


def test_a_customer_cannot_cancel_a_paid_order_but_staff_can(gql, store, customer, staff_user, placed, pay):
    pay(placed)
    assert errors(gql.login(customer)(CANCEL, {"id": gid(placed)}).ok()["orderCancel"]) == [(["id"], "PERMISSION_DENIED")]
    assert gql.login(staff_user)(CANCEL, {"id": gid(placed)}).ok()["orderCancel"]["order"]["status"] == "CANCELLED"
    assert shirts_in_stock(store) == 5


@pytest.mark.parametrize("mutation", [FULFILL, DELIVERED])
def test_staff_operations_are_forbidden_to_customers(gql, customer, placed, mutation):
    response = gql.login(customer)(mutation, {"id": gid(placed)})
    assert response.codes == ["FORBIDDEN"] and response.data is None


def test_another_customers_order_is_absent(gql, placed):
    other = User.objects.create_user("other@example.com", "another passphrase")
    gql.login(other)
    assert gql(ORDER_BY_ID, {"id": gid(placed)}).ok() == {"order": None}
    assert gql("query ($id: ID!) { node(id: $id) { id } }", {"id": gid(placed)}).ok() == {"node": None}
    assert errors(gql(CANCEL, {"id": gid(placed)}).ok()["orderCancel"]) == [(["id"], "NOT_FOUND")]
    assert gql("{ me { orders { totalCount } } }").ok()["me"]["orders"]["totalCount"] == 0


def test_the_order_token_is_enough_to_follow_an_order(gql, placed):
    query = "query ($t: String!) { order(token: $t) { number status } }"
    assert gql(query, {"t": placed.token}).ok()["order"] == {"number": placed.number, "status": "UNPAID"}
    assert gql(query, {"t": "guessed"}).ok() == {"order": None}


def test_a_client_with_both_the_id_and_the_token_gets_the_order_when_they_match(gql, store, ready_cart, placed):
    """Once refused ("exactly one of"): a client that kept both should not have to drop one."""
    query = "query ($id: ID, $t: String) { order(id: $id, token: $t) { number } }"
    assert gql(query, {"id": gid(placed), "t": placed.token}).ok()["order"] == {"number": placed.number}
    other = Order.objects.get(token=place(gql, ready_cart((store.shirt, 1)))["order"]["token"])
    assert gql(query, {"id": gid(placed), "t": other.token}).ok() == {"order": None}
    assert gql(query, {"id": gid(placed), "t": "guessed"}).ok() == {"order": None}
    assert gql(query, {}).codes == ["BAD_USER_INPUT"]


def test_staff_list_and_filter_orders(gql, store, staff_user, customer, ready_cart, pay):
    first = place(gql, ready_cart((store.mug, 1), email="first@example.com"))["order"]
    second = place(gql, ready_cart((store.mug, 2), email="second@example.com"))["order"]
    pay(Order.objects.get(token=second["token"]))
    gql.login(staff_user)
    query = """query ($filter: OrderFilter) { orders(filter: $filter) { totalCount edges { node { number email } } } }"""
    everything = gql(query).ok()["orders"]
    assert [e["node"]["email"] for e in everything["edges"]] == ["second@example.com", "first@example.com"]
    paid = gql(query, {"filter": {"status": ["PAID"]}}).ok()["orders"]["edges"]
    assert [e["node"]["number"] for e in paid] == [second["number"]]
    by_number = gql(query, {"filter": {"search": f"#{first['number']}"}}).ok()["orders"]["edges"]
    assert [e["node"]["email"] for e in by_number] == ["first@example.com"]
    assert gql.login(customer)(query).codes == ["FORBIDDEN"]


@override_settings(ORDER_UNPAID_LIFETIME=dt.timedelta(0))
def test_an_unpaid_order_expires_and_releases_its_stock_and_a_paid_one_does_not(store, customer, ready_cart, gql, pay):
    unpaid = Order.objects.get(token=place(gql, ready_cart((store.shirt, 2)))["order"]["token"])
    paid = Order.objects.get(token=place(gql, ready_cart((store.shirt, 1)))["order"]["token"])
    pay(paid)
    assert shirts_in_stock(store) == 2
    assert set(services.unpaid_orders_due_for_expiry()) == {unpaid.pk}
    assert payments.expire_unpaid(unpaid.pk) is True
    assert payments.expire_unpaid(unpaid.pk) is False  # a second run changes nothing
    assert payments.expire_unpaid(paid.pk) is False
    unpaid.refresh_from_db()
    assert unpaid.status == "CANCELLED" and [e.type for e in unpaid.events.all()] == ["PLACED", "EXPIRED"]
    assert shirts_in_stock(store) == 4


def test_an_order_not_yet_due_does_not_expire(store, ready_cart, gql):
    order = Order.objects.get(token=place(gql, ready_cart((store.shirt, 1)))["order"]["token"])
    assert payments.expire_unpaid(order.pk) is False and services.unpaid_orders_due_for_expiry() == []


def test_a_decision_taken_on_an_old_read_loses_to_a_payment_that_landed_meanwhile(store, customer, placed, pay):
    seen_unpaid = Order.objects.get(pk=placed.pk)  # e.g. an admin page loaded before the payment
    pay(placed)
    with pytest.raises(services.OrderError) as refused:
        payments.cancel_order(seen_unpaid, actor=customer, as_staff=False)
    assert refused.value.code == "INVALID_TRANSITION"
    assert Order.objects.get(pk=placed.pk).status == "PAID" and shirts_in_stock(store) == 3


@pytest.mark.parametrize("arguments, field", [
    ('carrier: "%s"' % ("x" * 101), ["carrier"]),
    ('trackingUrl: "javascript:alert(1)"', ["trackingUrl"]),
    ('trackingUrl: "ftp://files.example/x"', ["trackingUrl"]),
])
def test_fulfilment_details_are_checked(gql, staff_user, placed, arguments, field, pay):
    pay(placed)
    mutation = "mutation ($id: ID!) { orderFulfill(id: $id, %s) { order { status } errors { field code } } }" % arguments
    payload = gql.login(staff_user)(mutation, {"id": gid(placed)}).ok()["orderFulfill"]
    assert errors(payload) == [(field, "INVALID")] and Order.objects.get(pk=placed.pk).status == "PAID"


@override_settings(ORDER_UNPAID_LIFETIME=dt.timedelta(0))
def test_an_expired_order_gives_its_voucher_use_back(gql, store, ready_cart):
    from commerce.carts.models import Voucher

    order = Order.objects.get(token=place(gql, ready_cart((store.shirt, 1), voucher="FIVER"))["order"]["token"])
    assert Voucher.objects.get(code="FIVER").used_count == 1
    payments.expire_unpaid(order.pk)
    assert Voucher.objects.get(code="FIVER").used_count == 0
