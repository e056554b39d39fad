"""Deliveries as an integration receives them: a real local receiver, the app's own jobs on the suite's worker,
signatures the receiver verifies with commerce.signing.verify."""
from decimal import Decimal

from django.test import override_settings
from strawberry import relay

from commerce.catalog import staff
from commerce.orders import returns, shipments
from commerce.orders import services as orders
from commerce.orders.shipments import LineQuantity
from commerce.payments import services as payments
from commerce.orders.models import Order, OrderEventType
from commerce.webhooks.models import Delivery
from tasks.webhooks import send_overdue_webhooks
from tests.carts.conftest import gid
from tests.orders.conftest import place

ORDER = """query ($id: ID!) { order(id: $id) { id number status paymentStatus email
  total { amount currency } lines { sku quantity total { amount currency } } } }"""
REDELIVER = """mutation ($id: ID!) { webhookRedeliver(deliveryId: $id) { webhook { url } errors { field code } } }"""


def test_a_placed_order_reaches_the_receiver_signed_with_what_staff_would_read(
        gql, staff_gql, store, ready_cart, jobs, receiver, endpoint):
    webhook = endpoint("ORDER_CREATED")
    placed = place(gql, ready_cart((store.shirt, 2)))["order"]
    jobs.run()

    (received,) = receiver.received
    assert received.verified and received.headers["content-type"] == "application/json"
    delivery = Delivery.objects.get(webhook=webhook)
    assert received.headers["webhook-id"] == str(delivery.pk) == received.json["id"]
    assert received.json["event"] == "ORDER_CREATED" and received.json["createdAt"]
    data = received.json["data"]
    as_staff = staff_gql(ORDER, {"id": placed["id"]}).ok()["order"]
    assert {k: data[k] for k in as_staff if k != "lines"} == {k: v for k, v in as_staff.items() if k != "lines"}
    assert [{k: line[k] for k in ("sku", "quantity", "total")} for line in data["lines"]] == as_staff["lines"]
    assert "token" not in data  # the customer's bearer secret stays out of integrations' logs
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("SUCCEEDED", 1, 200)
    (attempt,) = delivery.attempt_log.all()
    assert attempt.succeeded and attempt.response_status == 200 and attempt.response_excerpt == "thanks"


def test_a_delivery_that_fails_is_sent_again_with_the_same_id_and_body(gql, store, ready_cart, jobs, receiver,
                                                                      endpoint):
    endpoint("ORDER_CREATED")
    receiver.reply(500, b"database is down")
    place(gql, ready_cart((store.mug, 1)))
    jobs.run()

    first, second = receiver.received
    assert first.verified and second.verified
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("SUCCEEDED", 2, 200)
    assert [(a.response_status, a.response_excerpt, a.succeeded) for a in delivery.attempt_log.order_by("pk")] == [
        (500, "database is down", False), (200, "thanks", True)]


def test_endpoints_hear_only_the_events_they_chose(gql, store, ready_cart, jobs, receiver, endpoint, pay,
                                                   staff_user):
    endpoint("ORDER_PAID", "ORDER_FULFILLED", "ORDER_CANCELLED")
    order = Order.objects.get(pk=gid_pk(place(gql, ready_cart((store.mug, 1)))["order"]["id"]))
    pay(order)
    orders.fulfill(order, actor=staff_user, carrier="DHL")
    cancelled = Order.objects.get(pk=gid_pk(place(gql, ready_cart((store.mug, 1)))["order"]["id"]))
    orders.mark_cancelled(cancelled, actor=staff_user, as_staff=True)
    jobs.run()
    assert sorted(r.json["event"] for r in receiver.received) == ["ORDER_CANCELLED", "ORDER_FULFILLED", "ORDER_PAID"]
    assert all(r.verified for r in receiver.received)


def test_product_changes_are_told_once_per_transaction(jobs, receiver, endpoint):
    endpoint("PRODUCT_CREATED", "PRODUCT_UPDATED", "PRODUCT_DELETED")
    product = staff.create_product(name="Tea Pot")
    jobs.run()
    staff.create_variant(product.pk, sku="POT-1", price=Decimal("20.00"), stock=3)
    jobs.run()
    staff.delete_product(product.pk)
    jobs.run()

    created, updated, deleted = receiver.received
    assert (created.json["event"], created.json["data"]["name"]) == ("PRODUCT_CREATED", "Tea Pot")
    assert updated.json["event"] == "PRODUCT_UPDATED"
    assert [v["sku"] for v in updated.json["data"]["variants"]] == ["POT-1"]
    assert deleted.json["event"] == "PRODUCT_DELETED" and deleted.json["data"] == {"id": gid("Product", product.pk)}


@override_settings(LOW_STOCK_THRESHOLD=4)
def test_stock_low_is_told_when_a_sale_takes_a_variant_under_the_threshold(gql, store, ready_cart, jobs, receiver,
                                                                           endpoint):
    endpoint("STOCK_LOW")
    place(gql, ready_cart((store.shirt, 1)))  # 5 -> 4: not under
    place(gql, ready_cart((store.shirt, 1)))  # 4 -> 3: crosses
    jobs.run()
    (received,) = receiver.received
    assert received.json["event"] == "STOCK_LOW"
    assert received.json["data"]["sku"] == store.shirt.sku and received.json["data"]["product"]["name"] == "Linen Shirt"


def test_a_return_request_sends_the_order_the_return_and_the_request(gql, store, ready_cart, jobs, receiver, endpoint,
                                                                     staff_user, settings):
    settings.MANUAL_PAYMENTS_ENABLED = True
    endpoint("RETURN_REQUESTED")
    order = Order.objects.get(pk=gid_pk(place(gql, ready_cart((store.mug, 2)))["order"]["id"]))
    order = shipments.ship(payments.mark_paid(order, reference="cash", actor=staff_user), None, actor=staff_user)
    line = order.lines.get()
    returns.request_return(order, [LineQuantity(line.pk, 1)], "Cracked on arrival", actor=None)
    jobs.run()
    (received,) = receiver.received
    data = received.json["data"]
    assert data["id"] == gid("Order", order.pk) and data["event"]["type"] == "RETURN_REQUESTED"
    assert data["return"]["status"] == "REQUESTED" and data["return"]["reason"] == "Cracked on arrival"
    assert data["return"]["lines"] == [{"quantity": 1, "orderLine": {
        "id": gid("OrderLine", line.pk), "sku": line.sku, "productName": line.product_name,
        "variantName": line.variant_name, "quantity": 2, "unitPrice": data["return"]["lines"][0]["orderLine"]["unitPrice"]}}]


def test_staff_redeliver_the_same_delivery(gql, staff_gql, store, ready_cart, jobs, receiver, endpoint):
    endpoint("ORDER_CREATED")
    place(gql, ready_cart((store.mug, 1)))
    jobs.run()
    delivery = Delivery.objects.get()
    payload = staff_gql(REDELIVER, {"id": gid("WebhookDelivery", delivery.pk)}).ok()["webhookRedeliver"]
    assert payload == {"webhook": {"url": receiver.url}, "errors": []}
    jobs.run()
    first, again = receiver.received
    assert first.body == again.body and again.verified
    assert Delivery.objects.get().attempts == 2


def gid_pk(global_id: str) -> int:
    return int(relay.from_base64(global_id)[1])


def test_a_delivery_whose_message_was_lost_is_sent_by_the_minute_job(jobs, receiver, endpoint):
    webhook = endpoint("PRODUCT_UPDATED")
    lost = Delivery.objects.create(webhook=webhook, event="PRODUCT_UPDATED", subject="product", subject_id=1,
                                   retry_until=Delivery.default_retry_until())  # recorded, its job never enqueued
    send_overdue_webhooks()
    jobs.run()
    (received,) = receiver.received
    assert received.headers["webhook-id"] == str(lost.pk) and received.verified
    assert Delivery.objects.get().status == "SUCCEEDED"
