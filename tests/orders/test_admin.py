"""Staff working orders from the Django admin get the same rules, events and restocking as the API."""
from commerce.catalog.models import ProductVariant
from commerce.orders.models import Order
from tests.orders.conftest import place


def test_an_admin_cancel_goes_through_the_status_machine(client, gql, store, staff_user, ready_cart):
    staff_user.is_superuser = True
    staff_user.save()
    order = Order.objects.get(token=place(gql, ready_cart((store.shirt, 2)))["order"]["token"])
    client.force_login(staff_user)
    changelist = "/admin/orders/order/"
    client.post(changelist, {"action": "cancel", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == "CANCELLED" and [(e.type, e.actor) for e in order.events.all()] == [
        ("PLACED", None), ("CANCELLED", staff_user)]
    assert ProductVariant.objects.get(pk=store.shirt.pk).stock == 5
    client.post(changelist, {"action": "mark_delivered", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == "CANCELLED"  # refused by the status machine, reported, nothing changed
    assert client.get(f"/admin/orders/order/{order.pk}/change/").status_code == 200


def test_staff_ship_the_rest_and_approve_and_receive_a_return_from_the_admin(client, gql, store, staff_user, customer,
                                                                              ready_cart, pay, stripe):
    from commerce.orders import returns
    from commerce.orders.shipments import LineQuantity

    staff_user.is_superuser = True
    staff_user.save()
    order = pay(Order.objects.get(token=place(gql, ready_cart((store.mug, 2)))["order"]["token"]))
    client.force_login(staff_user)
    client.post("/admin/orders/order/", {"action": "fulfil", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == "FULFILLED" and order.shipments.count() == 1
    asked = returns.request_return(order, [LineQuantity(order.lines.get().pk, 1)], "Chipped", actor=customer)
    client.post("/admin/orders/return/", {"action": "approve", "_selected_action": [asked.pk]})
    client.post("/admin/orders/return/", {"action": "receive", "_selected_action": [asked.pk]})
    asked.refresh_from_db()
    assert (asked.status, asked.restocked) == ("REFUNDED", True) and asked.refund_amount > 0
    assert ProductVariant.objects.get(pk=store.mug.pk).stock == 99
    page = client.get("/admin/").content.decode()
    assert "Pending returns (0)" in page
    assert client.get(f"/admin/orders/order/{order.pk}/change/").status_code == 200
    assert client.get(f"/admin/orders/return/{asked.pk}/change/").status_code == 200
