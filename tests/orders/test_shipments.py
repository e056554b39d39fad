"""Shipping an order in parts: the status follows the units shipped, the carrier's details are the latest
shipment's, a shipment only moves forward (staff or the carrier's signed webhook), and nothing half-written."""
import json
from importlib import import_module

import pytest
from django.apps import apps
from django.test import override_settings
from django.utils import timezone

from commerce import signing
from commerce.orders import returns, services, shipments
from commerce.orders.models import Order, OrderEventType, OrderStatus, Shipment
from commerce.orders.shipments import LineQuantity
from tests.carts.conftest import errors
from tests.orders.after_sale import (
    RETURN_REQUEST,
    SHIP,
    SHIPMENT_UPDATE,
    gid,
    line_ids,
    paid_order,
)
from tests.orders.conftest import CANCEL, DELIVERED, FULFILL

SECRET = "whsec_carrier_test"


@pytest.fixture
def order(gql, store, ready_cart, pay):
    """A paid order of 3 shirts and 2 mugs."""
    return paid_order(gql, ready_cart, pay, (store.shirt, 3), (store.mug, 2))


def ship(gql, order, lines, **details):
    ids = line_ids(order)
    return gql(SHIP, {"id": gid("Order", order.pk), "lines": [{"orderLineId": ids[sku], "quantity": q} for sku, q in lines],
                      **details}).ok()["orderShip"]


def test_part_of_an_order_ships_then_the_rest(gql, staff_user, order, store):
    gql.login(staff_user)
    first = ship(gql, order, [(store.shirt.sku, 2)], carrier="DHL", number="JD1", url="https://dhl.example/JD1")
    assert first["errors"] == []
    assert first["order"]["status"] == "PARTIALLY_FULFILLED"
    assert (first["order"]["carrier"], first["order"]["trackingNumber"]) == ("DHL", "JD1")
    assert first["order"]["shipments"] == [{"id": first["order"]["shipments"][0]["id"], "status": "SHIPPED",
                                            "carrier": "DHL", "trackingNumber": "JD1",
                                            "lines": [{"quantity": 2, "orderLine": {"sku": store.shirt.sku}}]}]
    assert first["order"]["events"][-1] == {"type": "SHIPPED", "status": "PARTIALLY_FULFILLED",
                                            "message": "2 units shipped with DHL, tracking JD1."}
    second = ship(gql, order, [(store.shirt.sku, 1), (store.mug.sku, 1)], carrier="UPS", number="1Z2")
    assert second["order"]["status"] == "PARTIALLY_FULFILLED" and second["order"]["carrier"] == "UPS"
    rest = gql(FULFILL, {"id": gid("Order", order.pk)}).ok()["orderFulfill"]  # "ship the rest": the last mug
    assert rest == {"order": {"status": "FULFILLED", "carrier": "DHL", "trackingNumber": "JD0001",
                              "trackingUrl": "https://track.example/JD0001"}, "errors": []}
    order.refresh_from_db()
    assert [e.type for e in order.events.all()][-3:] == ["SHIPPED", "SHIPPED", "FULFILLED"]
    assert [[(line.order_line.sku, line.quantity) for line in s.lines.all()] for s in order.shipments.all()][-1] == [
        (store.mug.sku, 1)]


def test_a_shipment_of_more_than_is_left_is_refused_and_writes_nothing(gql, staff_user, order, store):
    gql.login(staff_user)
    ship(gql, order, [(store.shirt.sku, 2)])
    refused = ship(gql, order, [(store.mug.sku, 1), (store.shirt.sku, 2)])
    assert errors(refused) == [(["lines", "1", "quantity"], "INVALID")]
    twice = ship(gql, order, [(store.shirt.sku, 1), (store.shirt.sku, 1)])  # the same line twice adds up
    assert errors(twice) == [(["lines", "1", "quantity"], "INVALID")]
    assert errors(ship(gql, order, [(store.mug.sku, 0)])) == [(["lines", "0", "quantity"], "INVALID")]
    assert errors(ship(gql, order, [])) == [(["lines"], "REQUIRED")]
    assert Shipment.objects.filter(order=order).count() == 1
    assert [e.type for e in order.events.all()].count("SHIPPED") == 1


def test_a_line_of_another_order_is_not_found(gql, staff_user, order, store, ready_cart, pay):
    other = paid_order(gql, ready_cart, pay, (store.mug, 1))
    gql.login(staff_user)
    payload = gql(SHIP, {"id": gid("Order", order.pk), "lines": [
        {"orderLineId": gid("OrderLine", other.lines.get().pk), "quantity": 1}]}).ok()["orderShip"]
    assert errors(payload) == [(["lines", "0", "orderLineId"], "NOT_FOUND")]
    bad_id = gql(SHIP, {"id": gid("Order", order.pk), "lines": [{"orderLineId": gid("Order", 1), "quantity": 1}]})
    assert errors(bad_id.ok()["orderShip"]) == [(["lines", "0", "orderLineId"], "INVALID")]


def test_an_unpaid_order_does_not_ship_and_customers_cannot_ship(gql, staff_user, customer, store, ready_cart):
    from tests.orders.conftest import place

    unpaid = Order.objects.get(token=place(gql, ready_cart((store.mug, 1)))["order"]["token"])
    gql.login(staff_user)
    assert errors(ship(gql, unpaid, [(store.mug.sku, 1)])) == [(["id"], "INVALID_TRANSITION")]
    gql.login(customer)
    response = gql(SHIP, {"id": gid("Order", unpaid.pk), "lines": []})
    assert response.codes == ["FORBIDDEN"]


def test_a_partly_shipped_order_cannot_be_cancelled(gql, staff_user, order, store):
    gql.login(staff_user)
    ship(gql, order, [(store.mug.sku, 1)])
    assert errors(gql(CANCEL, {"id": gid("Order", order.pk)}).ok()["orderCancel"]) == [(["id"], "INVALID_TRANSITION")]
    order.refresh_from_db()
    assert order.status == "PARTIALLY_FULFILLED" and order.refunded_total == 0


def test_shipments_move_forward_and_the_order_is_delivered_with_its_last(gql, staff_user, order, store):
    gql.login(staff_user)
    ship(gql, order, [(store.shirt.sku, 3)])
    shipped = ship(gql, order, [(store.mug.sku, 2)])["order"]["shipments"]
    first, second = (s["id"] for s in shipped)
    update = lambda id, status: gql(SHIPMENT_UPDATE, {"id": id, "status": status}).ok()["shipmentUpdate"]  # noqa: E731
    assert update(first, "IN_TRANSIT") == {"shipment": {"id": first, "status": "IN_TRANSIT"}, "errors": []}
    assert errors(update(first, "SHIPPED")) == [(["status"], "INVALID_TRANSITION")]
    assert update(first, "IN_TRANSIT")["errors"] == []  # the same again: nothing to do
    assert update(first, "DELIVERED")["shipment"]["status"] == "DELIVERED"
    order.refresh_from_db()
    assert order.status == "FULFILLED"  # one parcel still on its way
    update(second, "DELIVERED")
    order.refresh_from_db()
    assert order.status == "DELIVERED"
    assert [e.type for e in order.events.all()][-3:] == ["NOTE", "NOTE", "DELIVERED"]


def test_marking_an_order_delivered_delivers_its_shipments(gql, staff_user, order):
    gql.login(staff_user)
    gql(FULFILL, {"id": gid("Order", order.pk)}).ok()
    assert gql(DELIVERED, {"id": gid("Order", order.pk)}).ok()["orderMarkDelivered"]["order"]["status"] == "DELIVERED"
    assert set(order.shipments.values_list("status", flat=True)) == {"DELIVERED"}
    assert order.shipments.get().delivered_at is not None


def carrier_post(client, body: dict, *, secret=SECRET):
    raw = json.dumps(body).encode()
    return client.post("/webhooks/shipments/", raw, content_type="application/json",
                       headers={signing.HEADER: signing.sign(raw, secret)})


@override_settings(SHIPMENT_WEBHOOK_SECRET=[SECRET])
def test_a_carrier_reports_status_changes_signed_and_in_any_order(client, staff_user, order):
    services.fulfill(order, actor=staff_user, carrier="DHL", tracking_number="JD77")
    delivered = {"trackingNumber": "JD77", "status": "DELIVERED", "occurredAt": "2026-12-01T10:00:00+01:00"}
    assert carrier_post(client, delivered).json() == {"received": True, "shipments": 1}
    assert carrier_post(client, delivered).json() == {"received": True, "shipments": 1}  # a repeat changes nothing
    late = {"trackingNumber": "JD77", "status": "IN_TRANSIT", "occurredAt": "2026-11-30T10:00:00+01:00"}
    assert carrier_post(client, late).status_code == 200  # older news: ignored
    shipment = order.shipments.get()
    assert shipment.status == "DELIVERED" and shipment.delivered_at.isoformat() == "2026-12-01T09:00:00+00:00"
    order.refresh_from_db()
    assert order.status == "DELIVERED"
    assert [e.type for e in order.events.all()].count(OrderEventType.DELIVERED) == 1
    assert carrier_post(client, {**delivered, "trackingNumber": "NOPE"}).json() == {"received": True, "shipments": 0}


@override_settings(SHIPMENT_WEBHOOK_SECRET=[SECRET])
def test_a_carrier_post_that_is_not_signed_or_not_understood_is_refused(client, staff_user, order):
    services.fulfill(order, actor=staff_user, tracking_number="JD78")
    body = {"trackingNumber": "JD78", "status": "DELIVERED", "occurredAt": "2026-12-01T10:00:00+01:00"}
    assert carrier_post(client, body, secret="whsec_forged").status_code == 400
    assert client.post("/webhooks/shipments/", json.dumps(body), content_type="application/json").status_code == 400
    assert carrier_post(client, {**body, "status": "LOST"}).status_code == 400
    assert carrier_post(client, {**body, "occurredAt": "2026-12-01T10:00:00"}).status_code == 400
    assert carrier_post(client, {"status": "DELIVERED"}).status_code == 400
    assert order.shipments.get().status == "SHIPPED"


def test_the_carrier_webhook_is_off_without_its_secret(client):
    assert carrier_post(client, {"trackingNumber": "X", "status": "DELIVERED"}).status_code == 404


def test_orders_fulfilled_before_shipments_get_theirs(store, ready_cart, gql, pay, staff_user):
    order = paid_order(gql, ready_cart, pay, (store.shirt, 2), (store.mug, 1))
    services.transition(order, OrderStatus.FULFILLED, OrderEventType.FULFILLED, carrier="DHL", tracking_number="OLD1")
    services.transition(order, OrderStatus.DELIVERED, OrderEventType.DELIVERED)
    import_module("commerce.orders.migrations.0008_backfill_shipments").backfill(apps, None)
    import_module("commerce.orders.migrations.0008_backfill_shipments").backfill(apps, None)  # once only
    (shipment,) = order.shipments.all()
    assert (shipment.status, shipment.carrier, shipment.tracking_number) == ("DELIVERED", "DHL", "OLD1")
    assert sorted((line.order_line.sku, line.quantity) for line in shipment.lines.all()) == sorted(
        [(store.shirt.sku, 2), (store.mug.sku, 1)])
    assert shipment.delivered_at <= timezone.now()


# The page and its count, then one query per nested list (shipments, their lines with their order lines and
# orders, returns with their orders, their lines with their order lines) however many orders are on the page.
QUERIES_FOR_A_PAGE = 6
ORDER_LIST = """{ orders(first: 10) { edges { node { number
  shipments { id status trackingNumber lines { quantity orderLine { sku unitPrice { amount } } } }
  returns { id status refund { amount } lines { quantity orderLine { sku } } } } } } }"""


def test_an_order_list_with_shipments_and_returns_costs_the_same_queries_for_any_page(
        gql, staff_user, customer, store, ready_cart, pay):
    def shipped_and_returned():
        placed = paid_order(gql, ready_cart, pay, (store.mug, 2))
        services.fulfill(placed, actor=staff_user, tracking_number=f"T{placed.pk}")
        returns.request_return(placed, [LineQuantity(placed.lines.get().pk, 1)], "Too big", actor=customer)

    shipped_and_returned()
    small = gql.login(staff_user)(ORDER_LIST)
    assert len(small.ok()["orders"]["edges"]) == 1
    for _ in range(4):
        shipped_and_returned()
    large = gql.login(staff_user)(ORDER_LIST)
    edges = large.ok()["orders"]["edges"]
    assert len(edges) == 5 and all(len(e["node"]["shipments"]) == 1 and len(e["node"]["returns"]) == 1 for e in edges)
    assert large.queries == small.queries == QUERIES_FOR_A_PAGE


def test_a_partly_shipped_order_counts_as_sold_and_bought(customer, staff_user, store, ready_cart, gql, pay):
    import datetime as dt

    from commerce.catalog.signals import product_bought
    from commerce.orders import reports

    order = paid_order(gql, ready_cart, pay, (store.shirt, 2), (store.mug, 1), user=customer)
    shipments.ship(order, [LineQuantity(order.lines.get(sku=store.mug.sku).pk, 1)], actor=staff_user)
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_FULFILLED
    now = timezone.now()
    sold = {row.product_name: row.quantity for row in reports.top_products(now - dt.timedelta(days=1), now)}
    assert sold == {"Linen Shirt": 2, "Ceramic Mug": 1}
    assert all(answer for _, answer in product_bought.send(None, user=customer, product_id=store.shirt.product_id))
