"""The operations a storefront sends to build a cart (the store itself is in tests/shop.py)."""
from strawberry import relay


def gid(type_name: str, pk: int) -> str:
    return relay.to_base64(type_name, pk)


CART_FIELDS = """token email totalQuantity voucherCode
  lines { id quantity variant { sku } unitPrice { amount } total { amount } }
  subtotal { amount currency } discount { amount } shipping { amount } tax { amount } total { amount }
  shippingAddress { city countryCode } billingAddress { city } shippingMethod { name }
  availableShippingMethods { name } warnings { lineId code message }"""

CREATE = f"""mutation ($input: CartCreateInput) {{ cartCreate(input: $input) {{
  cart {{ {CART_FIELDS} }} errors {{ field code message }} }} }}"""
ADD = f"""mutation ($token: String!, $lines: [CartLineInput!]!) {{ cartLinesAdd(cartToken: $token, lines: $lines) {{
  cart {{ {CART_FIELDS} }} errors {{ field code message }} }} }}"""
UPDATE_LINES = f"""mutation ($token: String!, $lines: [CartLineUpdateInput!]!) {{
  cartLinesUpdate(cartToken: $token, lines: $lines) {{ cart {{ {CART_FIELDS} }} errors {{ field code message }} }} }}"""
REMOVE_LINES = f"""mutation ($token: String!, $ids: [ID!]!) {{
  cartLinesRemove(cartToken: $token, lineIds: $ids) {{ cart {{ {CART_FIELDS} }} errors {{ field code message }} }} }}"""
UPDATE = f"""mutation ($token: String!, $input: CartUpdateInput!) {{ cartUpdate(cartToken: $token, input: $input) {{
  cart {{ {CART_FIELDS} }} errors {{ field code message }} }} }}"""
APPLY = f"""mutation ($token: String!, $code: String!) {{ cartVoucherApply(cartToken: $token, code: $code) {{
  cart {{ {CART_FIELDS} }} errors {{ field code message }} }} }}"""
CART = f"query ($token: String!) {{ cart(token: $token) {{ {CART_FIELDS} }} }}"
ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "line1": "12 St James's Square", "city": "London",
           "postalCode": "SW1Y 4JH", "countryCode": "GB"}


def errors(payload):
    return [(e["field"], e["code"]) for e in payload["errors"]]
