"""A paid order in naira to invoice, and reading a document's PDF back as text."""
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from strawberry import relay

from django.test import Client

from commerce.orders.models import Order
from tests.conftest import GraphQLClient
from tests.orders.conftest import place

INVOICES = "invoices { id number kind url createdAt }"
REQUEST = f"""mutation ($id: ID!) {{ invoiceRequest(orderId: $id) {{
  order {{ id events {{ type message }} {INVOICES} }} errors {{ field code message }} }} }}"""
ORDER_INVOICES = f"query ($id: ID!) {{ order(id: $id) {{ {INVOICES} }} }}"
REFUND = """mutation ($id: ID!, $amount: Decimal) { orderRefund(id: $id, amount: $amount) {
  order { paymentStatus refundedTotal { amount } } errors { field code } } }"""


def gid(order) -> str:
    return relay.to_base64("Order", order.pk)


def pdf_text(content: bytes) -> str:
    """The PDF's text, each run of whitespace (between a table's cells, lines of a block) one space."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.fixture
def currency() -> str:
    """The shop's currency (a module overrides this fixture for another)."""
    return "NGN"


@pytest.fixture
def seller(settings, currency):
    settings.SHOP_CURRENCY = currency
    settings.INVOICE_SELLER_NAME = "Lagos Goods Ltd"
    settings.INVOICE_SELLER_ADDRESS = "4 Marina Road, Lagos, NG"
    settings.INVOICE_SELLER_TAX_ID = "TIN-0042"


@pytest.fixture
def paid_order(seller, currency, db, store, ready_cart, pay, customer):
    """The customer's order, paid through Stripe: a mug (12.50) and 2 shirts (60.00) with save10 (-7.25), shipping
    5.00 to Germany, 19% tax on 70.25 = 13.35, total 83.60 (in naira unless `currency` says otherwise). Placed by the
    customer's own client."""
    buyer = GraphQLClient(Client()).login(customer)
    order = Order.objects.get(token=place(buyer, ready_cart((store.mug, 1), (store.shirt, 2), user=customer,
                                                          voucher="save10"))["order"]["token"])
    order = pay(order)
    assert (order.status, order.total, order.tax, order.currency) == ("PAID", Decimal("83.60"), Decimal("13.35"),
                                                                          currency)
    return order
