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
