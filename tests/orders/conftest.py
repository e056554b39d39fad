"""The operations a storefront sends to place and follow an order (carts ready for it: tests/shop.py)."""

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


def place(gql, cart, **headers):
    return gql(CHECKOUT, {"token": cart.token}, **headers).ok()["checkoutComplete"]
