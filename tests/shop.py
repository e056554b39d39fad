"""A store to shop in, shared by the cart, order and job tests: a mug (12.50, plenty), a shirt (30.00, 5 left),
a sold-out lamp and a draft scarf; standard shipping everywhere and express to Germany and Britain; two
vouchers. Carts are made over the API (new_cart) or through the services, ready to check out (ready_cart)."""
from decimal import Decimal

import pytest

from commerce.carts import services as carts
from commerce.carts.models import ShippingMethod, Voucher
from tests.carts.conftest import CREATE, gid


@pytest.fixture
def store(make_product):
    class Store:
        pass

    s = Store()
    s.mug = make_product("Ceramic Mug", variants=[("12.50", 100)]).variants.get()
    s.shirt = make_product("Linen Shirt", variants=[("30.00", 5)]).variants.get()
    s.lamp = make_product("Oak Lamp", variants=[("55.50", 0)]).variants.get()
    s.scarf = make_product("Draft Scarf", variants=[("20.00", 10)], published=False).variants.get()
    s.standard = ShippingMethod.objects.create(name="Standard", price=Decimal("5.00"), position=0)
    s.express = ShippingMethod.objects.create(name="Express", price=Decimal("15.00"), countries=["DE", "GB"], position=1)
    s.save10 = Voucher.objects.create(code="save10", kind=Voucher.Kind.PERCENT, value=Decimal("10"),
                                      min_subtotal=Decimal("20.00"))
    s.fiver = Voucher.objects.create(code="FIVER", kind=Voucher.Kind.FIXED, value=Decimal("5.00"), usage_limit=1)
    for name in ("mug", "shirt", "lamp", "scarf"):
        setattr(s, f"{name}_id", gid("ProductVariant", getattr(s, name).pk))
    s.standard_id, s.express_id = gid("ShippingMethod", s.standard.pk), gid("ShippingMethod", s.express.pk)
    return s


@pytest.fixture
def new_cart(gql, store):
    """Create a cart over the API with the given lines [(variant global ID, quantity)]; returns the payload."""
    def create(*lines, email=None):
        input = {"lines": [{"variantId": v, "quantity": q} for v, q in lines]}
        if email:
            input["email"] = email
        return gql(CREATE, {"input": input}).ok()["cartCreate"]

    return create


@pytest.fixture
def ready_cart(store):
    """A cart with every detail checkout needs: make it with [(variant, quantity)] and an optional user."""
    def make(*lines, user=None, email="buyer@example.com", voucher=None):
        cart = carts.create_cart(user, lines=[carts.LineRequest(v.pk, q) for v, q in lines])
        carts.update_details(cart, user, carts.CartDetails(
            email=email, shipping_method_id=store.standard.pk,
            shipping_address={"first_name": "Ada", "last_name": "Lovelace", "line1": "12 Square", "city": "Berlin",
                              "postal_code": "10115", "country_code": "DE"}))
        if voucher:
            carts.apply_voucher(cart, voucher)
        cart.refresh_from_db()
        return cart

    return make




@pytest.fixture
def pay(stripe):
    """Pay an order as Stripe would: the customer's card succeeds at the fake, and the signed
    `payment_intent.succeeded` event goes through our webhook service and is applied (as its job would)."""
    from commerce.payments import services as payments
    from commerce.payments.models import WebhookEvent
    from tests.fake_stripe import signed

    def pay_order(order, **succeed):
        payment = order.payments.first() or payments.open_payment(order)
        body, signature = signed(stripe.succeed(payment.intent_id, **succeed))
        payments.receive_webhook("stripe", body, {"Stripe-Signature": signature})
        payments.process_event(WebhookEvent.objects.latest("pk").pk)
        order.refresh_from_db()
        return order

    return pay_order
