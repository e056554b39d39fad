"""What jobs do around orders: the emails customers and staff receive, and unpaid orders expiring on schedule."""
import datetime as dt

from django.test import override_settings

from commerce.catalog.models import ProductVariant
from commerce.orders import services
from commerce.orders.models import Order
from tasks.orders import expire_unpaid_orders
from tests.orders.conftest import place


def test_placing_an_order_emails_its_confirmation(gql, store, ready_cart, jobs, mailoutbox):
    order = place(gql, ready_cart((store.shirt, 2), email="buyer@example.com"))["order"]
    jobs.run()
    confirmations = [m for m in mailoutbox if m.to == ["buyer@example.com"]]
    assert len(confirmations) == 1
    assert f"#{order['number']}" in confirmations[0].subject
    assert "2 x Linen Shirt" in confirmations[0].body and order["total"]["amount"] in confirmations[0].body


def test_the_customer_hears_when_the_order_ships(gql, store, staff_user, ready_cart, jobs, mailoutbox, pay):
    order = Order.objects.get(token=place(gql, ready_cart((store.mug, 1)))["order"]["token"])
    pay(order)
    services.fulfill(order, actor=staff_user, carrier="DHL", tracking_url="https://track.example/1")
    jobs.run()
    to_buyer = [m for m in mailoutbox if m.to == ["buyer@example.com"]]  # jobs run in parallel: any order
    assert len(to_buyer) == 3  # the confirmation, the payment's and the shipping news
    (shipped,) = [m for m in to_buyer if "is on its way" in m.subject]
    assert "https://track.example/1" in shipped.body


@override_settings(LOW_STOCK_THRESHOLD=4)
def test_staff_are_alerted_when_a_sale_takes_a_variant_under_the_threshold(gql, store, staff_user, ready_cart, jobs,
                                                                           mailoutbox):
    place(gql, ready_cart((store.shirt, 1)))  # 5 -> 4: not under
    place(gql, ready_cart((store.shirt, 1)))  # 4 -> 3: crosses
    place(gql, ready_cart((store.shirt, 1)))  # 3 -> 2: already under, no second alert
    jobs.run()
    alerts = [m for m in mailoutbox if m.to == [staff_user.email]]
    assert [m.subject for m in alerts] == ["Low stock: Linen Shirt / Size 0 (3 left)"]


def test_a_variant_can_have_its_own_low_stock_threshold(gql, store, staff_user, ready_cart, jobs, mailoutbox):
    ProductVariant.objects.filter(pk=store.mug.pk).update(low_stock_threshold=99)
    place(gql, ready_cart((store.mug, 2)))  # 100 -> 98: under its own 99, though far above the shop's 5
    jobs.run()
    assert [m.subject for m in mailoutbox if m.to == [staff_user.email]] == ["Low stock: Ceramic Mug / Size 0 (98 left)"]


@override_settings(ORDER_UNPAID_LIFETIME=dt.timedelta(0))
def test_the_scheduled_expiry_cancels_unpaid_orders_and_restocks(gql, store, ready_cart, jobs, mailoutbox):
    order = Order.objects.get(token=place(gql, ready_cart((store.shirt, 2)))["order"]["token"])
    expire_unpaid_orders.send()  # what the scheduler enqueues every minute
    jobs.run()
    order.refresh_from_db()
    assert order.status == "CANCELLED" and ProductVariant.objects.get(pk=store.shirt.pk).stock == 5
    assert any("not paid in time" in m.subject for m in mailoutbox)


def test_the_nightly_purge_drops_abandoned_guest_carts_and_old_idempotency_keys(store, customer, jobs):
    from django.utils import timezone

    from commerce.carts import services as carts
    from commerce.carts.models import Cart
    from commerce.orders.models import IdempotencyKey
    from tasks.orders import purge_stale_carts_and_keys

    long_ago = timezone.now() - dt.timedelta(days=31)
    abandoned = carts.create_cart(None, lines=[carts.LineRequest(store.mug.pk, 1)])
    recent = carts.create_cart(None, lines=[carts.LineRequest(store.mug.pk, 1)])
    customers = carts.create_cart(customer, lines=[carts.LineRequest(store.mug.pk, 1)])
    Cart.objects.filter(pk__in=[abandoned.pk, customers.pk]).update(updated_at=long_ago)
    old_key = IdempotencyKey.objects.create(key="old", operation="checkoutComplete", fingerprint="f")
    IdempotencyKey.objects.filter(pk=old_key.pk).update(created_at=long_ago)
    IdempotencyKey.objects.create(key="new", operation="checkoutComplete", fingerprint="f")
    purge_stale_carts_and_keys.send()
    jobs.run()
    assert set(Cart.objects.values_list("pk", flat=True)) == {recent.pk, customers.pk}
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_the_nightly_purge_keeps_the_address_copies_a_cart_or_an_order_holds(store, customer, ready_cart, jobs):
    from commerce.accounts.models import Address
    from commerce.accounts.services import copy_address
    from commerce.orders import checkout
    from tasks.orders import purge_stale_carts_and_keys

    order = checkout.complete(ready_cart((store.mug, 1)))
    cart = ready_cart((store.mug, 1))
    saved = copy_address(cart.shipping_address)
    Address.objects.filter(pk=saved.pk).update(user=customer)  # in the customer's address book
    unheld = copy_address(saved)
    purge_stale_carts_and_keys.send()
    jobs.run()
    assert not Address.objects.filter(pk=unheld.pk).exists()
    assert set(Address.objects.values_list("pk", flat=True)) == {order.shipping_address_id, cart.shipping_address_id,
                                                                 saved.pk}
