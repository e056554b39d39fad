"""What the shipment and return tests share: the operations as a client sends them, and a paid order to work on."""
from strawberry import relay

from commerce.orders.models import Order
from tests.orders.conftest import place

SHIP = """mutation ($id: ID!, $lines: [ShipmentLineInput!]!, $carrier: String, $number: String, $url: String) {
  orderShip(id: $id, lines: $lines, carrier: $carrier, trackingNumber: $number, trackingUrl: $url) {
    order { status carrier trackingNumber trackingUrl
      shipments { id status carrier trackingNumber lines { quantity orderLine { sku } } }
      events { type status message } }
    errors { field code message } } }"""
SHIPMENT_UPDATE = """mutation ($id: ID!, $status: ShipmentStatus!) { shipmentUpdate(id: $id, status: $status) {
  shipment { id status } errors { field code } } }"""
RETURN_FIELDS = "id status reason refund { amount currency } payoutPending lines { quantity orderLine { sku } }"
RETURN_REQUEST = f"""mutation ($order: ID!, $token: String, $lines: [ReturnLineInput!]!, $reason: String!) {{
  returnRequest(orderId: $order, token: $token, lines: $lines, reason: $reason) {{
    orderReturn {{ {RETURN_FIELDS} }} errors {{ field code message }} }} }}"""
RETURN_APPROVE = f"""mutation ($id: ID!) {{ returnApprove(id: $id) {{ orderReturn {{ {RETURN_FIELDS} }}
  errors {{ field code }} }} }}"""
RETURN_DECLINE = f"""mutation ($id: ID!, $reason: String!) {{ returnDecline(id: $id, reason: $reason) {{
  orderReturn {{ {RETURN_FIELDS} }} errors {{ field code }} }} }}"""
RETURN_RECEIVE = f"""mutation ($id: ID!, $restock: Boolean) {{ returnReceive(id: $id, restock: $restock) {{
  orderReturn {{ {RETURN_FIELDS} }} errors {{ field code message }} }} }}"""


def gid(type_name: str, pk: int) -> str:
    return relay.to_base64(type_name, pk)


def line_ids(order: Order) -> dict[str, str]:
    """The order's line IDs as the API gives them, by SKU."""
    return {line.sku: gid("OrderLine", line.pk) for line in order.lines.all()}


def paid_order(gql, ready_cart, pay, *lines, user=None, voucher=None) -> Order:
    """An order of `lines` [(variant, quantity)], placed (by `user` if given) and paid at the fake Stripe."""
    if user is not None:
        gql.login(user)
    payload = place(gql, ready_cart(*lines, user=user, voucher=voucher))
    gql.headers.clear()
    return pay(Order.objects.get(token=payload["order"]["token"]))
