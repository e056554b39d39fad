"""A store to shop in: a mug (12.50, plenty), a shirt (30.00, 5 left), a sold-out lamp and a draft scarf;
standard shipping everywhere and express to Germany and Britain; two vouchers."""
from decimal import Decimal

import pytest
from strawberry import relay

from commerce.carts.models import ShippingMethod, Voucher


def gid(type_name: str, pk: int) -> str:
    return relay.to_base64(type_name, pk)


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


@pytest.fixture
def new_cart(gql, store):
    """Create a cart over the API with the given lines [(variant global ID, quantity)]; returns the payload."""
    def create(*lines, email=None):
        input = {"lines": [{"variantId": v, "quantity": q} for v, q in lines]}
        if email:
            input["email"] = email
        return gql(CREATE, {"input": input}).ok()["cartCreate"]

    return create


def errors(payload):
    return [(e["field"], e["code"]) for e in payload["errors"]]
