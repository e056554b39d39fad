"""Carts ready to check out, and the operations a storefront sends to place and follow an order."""
import pytest

from commerce.carts import services as carts
from tests.carts.conftest import new_cart, store  # noqa: F401  (the same store to shop in)

ORDER_FIELDS = """id number token status paymentStatus email
  lines { productName variantName sku quantity unitPrice { amount } total { amount } variant { sku } }
  subtotal { amount currency } discount { amount } shipping { amount } tax { amount } total { amount }
  refundedTotal { amount } shippingAddress { city countryCode } billingAddress { city }
  carrier trackingNumber trackingUrl payment { status }
  events { id type status previousStatus paymentStatus message }"""

CHECKOUT = f"""mutation ($token: String!) {{ checkoutComplete(cartToken: $token) {{
  order {{ {ORDER_FIELDS} }} payment {{ status }} errors {{ field code message }} }} }}"""
ORDER_BY_TOKEN = f"query ($token: String!) {{ order(token: $token) {{ {ORDER_FIELDS} }} }}"
ORDER_BY_ID = f"query ($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
CANCEL = "mutation ($id: ID!) { orderCancel(id: $id) { order { status events { type } } errors { field code } } }"
FULFILL = """mutation ($id: ID!) { orderFulfill(id: $id, carrier: "DHL", trackingNumber: "JD0001",
  trackingUrl: "https://track.example/JD0001") { order { status carrier trackingNumber trackingUrl } errors { field code } } }"""
DELIVERED = "mutation ($id: ID!) { orderMarkDelivered(id: $id) { order { status } errors { field code } } }"


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


def place(gql, cart, **headers):
    return gql(CHECKOUT, {"token": cart.token}, **headers).ok()["checkoutComplete"]
