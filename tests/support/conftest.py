"""A customer's order and a stranger's, for tickets to be about; the operations a support screen sends."""
from decimal import Decimal

import pytest
from strawberry import relay

TICKET_FIELDS = "id subject status order { number } messages { id author fromStaff body createdAt } createdAt"
CREATE = f"""mutation ($s: String!, $b: String!, $o: ID, $t: String) {{
  ticketCreate(subject: $s, body: $b, orderId: $o, token: $t) {{
    ticket {{ {TICKET_FIELDS} }} errors {{ field code message retryAfter }} }} }}"""
REPLY = f"""mutation ($id: ID!, $b: String!, $t: String) {{ ticketReply(id: $id, body: $b, token: $t) {{
  ticket {{ {TICKET_FIELDS} }} errors {{ field code }} }} }}"""
CLOSE = f"""mutation ($id: ID!, $t: String) {{ ticketClose(id: $id, token: $t) {{
  ticket {{ {TICKET_FIELDS} }} errors {{ field code }} }} }}"""
TICKET = f"query ($id: ID!, $t: String) {{ ticket(id: $id, token: $t) {{ {TICKET_FIELDS} }} }}"
TICKETS = f"""query ($first: Int, $after: String, $status: [TicketStatus!]) {{
  tickets(first: $first, after: $after, status: $status) {{
    edges {{ cursor node {{ {TICKET_FIELDS} }} }} pageInfo {{ hasNextPage hasPreviousPage endCursor }} }} }}"""
GUEST_URL = "https://shop.example/support/{id}?token={token}"


def gid(type_name: str, pk: int) -> str:
    return relay.to_base64(type_name, pk)


def make_order(user=None, email="buyer@example.com"):
    from commerce.orders.models import Order

    return Order.objects.create(user=user, email=user.email if user else email, currency="EUR",
                                subtotal=Decimal("10.00"), total=Decimal("10.00"))


@pytest.fixture
def customers_order(customer):
    return make_order(customer)


@pytest.fixture
def guests_order(db):
    return make_order(email="guest@example.com")


@pytest.fixture
def stranger(db):
    from commerce.accounts.models import User

    return User.objects.create_user("stranger@example.com", "a-long-password-1")
