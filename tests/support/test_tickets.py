"""Support tickets as a customer, a guest and staff meet them: opening, replying, closing, who may see what, the
caps and throttles, and the tickets list's cost."""
import pytest
from django.test import override_settings

from commerce.support.models import Ticket
from tests.support.conftest import CLOSE, CREATE, REPLY, TICKET, TICKETS, gid, make_order


def open_ticket(gql, subject="Where is my parcel?", body="It has been a week.", **variables) -> dict:
    payload = gql(CREATE, {"s": subject, "b": body, **variables}).ok()["ticketCreate"]
    assert payload["errors"] == [], payload
    return payload["ticket"]


def reply(gql, ticket_id: str, body: str, token: str | None = None) -> dict:
    return gql(REPLY, {"id": ticket_id, "b": body, "t": token}).ok()["ticketReply"]


def test_a_conversation_moves_between_the_two_sides_and_either_closes_it(gql, customer, staff_user, customers_order):
    from tests.conftest import GraphQLClient

    customer_gql, staff_gql = gql.login(customer), GraphQLClient(gql.client.__class__()).login(staff_user)
    ticket = open_ticket(customer_gql, o=gid("Order", customers_order.pk))
    assert ticket["status"] == "OPEN" and ticket["order"] == {"number": customers_order.number}
    assert ticket["messages"][0]["author"] == "customer@example.com" and not ticket["messages"][0]["fromStaff"]

    answered = reply(staff_gql, ticket["id"], "It left our warehouse today.")
    assert answered["ticket"]["status"] == "WAITING_ON_CUSTOMER"
    assert answered["ticket"]["messages"][-1]["fromStaff"] is True
    assert "staff@example.com" not in answered["ticket"]["messages"][-1]["author"]  # staff are named, not addressed

    assert reply(customer_gql, ticket["id"], "Thanks!")["ticket"]["status"] == "WAITING_ON_STAFF"
    closed = customer_gql(CLOSE, {"id": ticket["id"]}).ok()["ticketClose"]
    assert closed["ticket"]["status"] == "CLOSED"
    assert staff_gql(CLOSE, {"id": ticket["id"]}).ok()["ticketClose"]["ticket"]["status"] == "CLOSED"  # no-op

    reopened = reply(customer_gql, ticket["id"], "Actually it arrived broken.")  # a reply reopens
    assert reopened["ticket"]["status"] == "WAITING_ON_STAFF" and len(reopened["ticket"]["messages"]) == 4


def test_a_customer_reaches_only_their_own_tickets(gql, customer, stranger, customers_order):
    ticket = open_ticket(gql.login(customer))
    gql.login(stranger)
    assert gql(TICKET, {"id": ticket["id"]}).ok() == {"ticket": None}
    assert gql(REPLY, {"id": ticket["id"], "b": "Mine now"}).ok()["ticketReply"] == {
        "ticket": None, "errors": [{"field": ["id"], "code": "NOT_FOUND"}]}
    assert gql(CLOSE, {"id": ticket["id"]}).ok()["ticketClose"]["errors"][0]["code"] == "NOT_FOUND"
    assert gql(TICKET, {"id": ticket["id"], "t": "forged.token"}).ok() == {"ticket": None}
    node = gql("query ($id: ID!) { node(id: $id) { id } }", {"id": ticket["id"]}).ok()
    assert node == {"node": None}
    # Nor may a ticket be about someone else's order without its token.
    refused = gql(CREATE, {"s": "Hi", "b": "Hello", "o": gid("Order", customers_order.pk)}).ok()["ticketCreate"]
    assert refused["errors"] == [{"field": ["orderId"], "code": "NOT_FOUND", "message": "No such order.",
                                  "retryAfter": None}]
    assert Ticket.objects.count() == 1


def test_a_guest_opens_a_ticket_with_an_orders_token_and_follows_it_with_the_emailed_token(
    gql, guests_order, jobs, mailoutbox, settings
):
    from tests.mail import sent_to, token_in

    settings.SUPPORT_GUEST_TICKET_URL = "https://shop.example/support/{id}?token={token}"
    assert gql(CREATE, {"s": "Hi", "b": "Hello"}).ok()["ticketCreate"]["errors"][0]["code"] == "REQUIRED"
    assert gql(CREATE, {"s": "Hi", "b": "Hello", "t": "not-the-token"}).ok()["ticketCreate"]["errors"][0][
        "code"] == "NOT_FOUND"
    ticket = open_ticket(gql, t=guests_order.token)
    assert ticket["order"] == {"number": guests_order.number}
    assert Ticket.objects.get().email == "guest@example.com"  # the order's
    jobs.run()
    (acknowledgement,) = sent_to(mailoutbox, "guest@example.com")
    token = token_in(acknowledgement.body, "https://shop.example/support/{id}?token={token}".replace(
        "{id}", ticket["id"].replace("=", "%3D")))

    assert gql(TICKET, {"id": ticket["id"]}).ok() == {"ticket": None}  # the ID alone is not enough
    assert gql(TICKET, {"id": ticket["id"], "t": token}).ok()["ticket"]["subject"] == "Where is my parcel?"
    assert gql(TICKET, {"id": ticket["id"], "t": token[:-2] + "xx"}).ok() == {"ticket": None}
    other = open_ticket(gql, t=guests_order.token)  # the token of one ticket opens no other
    assert gql(TICKET, {"id": other["id"], "t": token}).ok() == {"ticket": None}
    assert reply(gql, ticket["id"], "Any news?", token)["ticket"]["status"] == "WAITING_ON_STAFF"
    assert gql(CLOSE, {"id": ticket["id"], "t": token}).ok()["ticketClose"]["ticket"]["status"] == "CLOSED"


def test_each_message_is_mailed_to_the_other_side_once(gql, customer, staff_user, jobs, mailoutbox, settings):
    from commerce.support import notifications, services
    from tests.mail import sent_to

    settings.SUPPORT_EMAIL = "help@shop.example"
    settings.SUPPORT_TICKET_URL = "https://shop.example/support/{id}"
    ticket = services.open_ticket(customer, subject="Sizes", body="Does the shirt run small?")
    services.reply(staff_user, ticket.pk, body="A little: take one size up.")
    services.reply(customer, ticket.pk, body="Thank you!")
    services.close(staff_user, ticket.pk)
    jobs.run()
    to_staff = sent_to(mailoutbox, "help@shop.example")
    assert sorted(m.body.split("wrote:")[1].split("\n\n")[1] for m in to_staff) == [
        "Does the shirt run small?", "Thank you!"]
    to_customer = sent_to(mailoutbox, "customer@example.com")
    assert len(to_customer) == 2  # the acknowledgement, and staff's answer
    (answer,) = [m for m in to_customer if m.subject.endswith("Re: Sizes")]
    assert "A little: take one size up." in answer.body
    assert f"https://shop.example/support/{gid('Ticket', ticket.pk).replace('=', '%3D')}" in answer.body
    assert "token" not in answer.body  # a signed-in customer's link needs none

    for message in ticket.messages.all():  # a job that runs again sends nothing again
        notifications.send_message_emails(message.pk)
    assert len(mailoutbox) == 4


def test_bodies_and_subjects_are_plain_capped_text(gql, customer, settings):
    settings.SUPPORT_BODY_MAX_LENGTH = 20
    gql.login(customer)
    errors = lambda **v: gql(CREATE, {"s": "Hi", "b": "Hello", **v}).ok()["ticketCreate"]["errors"]  # noqa: E731
    assert [(e["field"], e["code"]) for e in errors(b="x" * 21)] == [(["body"], "INVALID")]
    assert [(e["field"], e["code"]) for e in errors(b=" \n\t ")] == [(["body"], "REQUIRED")]
    assert [(e["field"], e["code"]) for e in errors(s="s" * 201)] == [(["subject"], "INVALID")]
    ticket = open_ticket(gql, body="line one\r\nline\x07 two ")
    assert ticket["messages"][0]["body"] == "line one\nline two"
    assert Ticket.objects.count() == 1


@override_settings(SUPPORT_MAX_TICKETS_PER_CUSTOMER=2, SUPPORT_MAX_TICKETS_PER_IP=4)
def test_opening_tickets_is_throttled_per_customer_and_per_address(gql, customer, stranger, guests_order):
    gql.login(customer)
    open_ticket(gql), open_ticket(gql)
    (refused,) = gql(CREATE, {"s": "Again", "b": "Hello"}).ok()["ticketCreate"]["errors"]
    assert refused["code"] == "THROTTLED" and refused["retryAfter"] == 3600
    gql.login(stranger)  # another customer from the same address (refusals count too): one more, then no more
    open_ticket(gql)
    assert gql(CREATE, {"s": "Hi", "b": "Hello"}).ok()["ticketCreate"]["errors"][0]["code"] == "THROTTLED"
    gql.headers.clear()  # a guest from that address too
    assert gql(CREATE, {"s": "Hi", "b": "Hello", "t": guests_order.token}).ok()["ticketCreate"]["errors"][0][
        "code"] == "THROTTLED"
    assert gql(CREATE, {"s": "Hi", "b": "Hello", "t": guests_order.token}, REMOTE_ADDR="198.51.100.7").ok()[
        "ticketCreate"]["errors"] == []
    assert Ticket.objects.count() == 4


@override_settings(SUPPORT_MAX_REPLIES_PER_CUSTOMER=2)
def test_replies_are_throttled_for_customers_not_for_staff(gql, customer, staff_user):
    from commerce.support import services

    ticket = services.open_ticket(customer, subject="Hi", body="Hello")
    gql.login(customer)
    ticket_id = gid("Ticket", ticket.pk)
    assert [reply(gql, ticket_id, f"again {n}")["errors"] for n in range(3)][-1][0]["code"] == "THROTTLED"
    gql.login(staff_user)
    assert all(reply(gql, ticket_id, f"answer {n}")["errors"] == [] for n in range(3))


@override_settings(SUPPORT_MAX_TICKETS_PER_CUSTOMER=100)
def test_customers_list_their_tickets_and_staff_every_one_page_by_page_at_a_fixed_cost(
    gql, customer, stranger, staff_user
):
    from commerce.support import services

    mine = [services.open_ticket(customer, subject=f"Mine {n}", body="Hello") for n in range(3)]
    for n in range(12):
        ticket = services.open_ticket(stranger if n % 2 else staff_user, subject=f"Other {n}", body="Hello",
                                      client_ip=f"10.0.0.{n}")
        services.reply(staff_user, ticket.pk, body="An answer")
    assert gql(TICKETS).codes == ["UNAUTHENTICATED"]

    gql.login(customer)
    listed = gql(TICKETS).ok()["tickets"]
    assert [edge["node"]["subject"] for edge in listed["edges"]] == ["Mine 2", "Mine 1", "Mine 0"]
    services.close(customer, mine[1].pk)
    closed = gql(TICKETS, {"status": ["CLOSED"]}).ok()["tickets"]["edges"]
    assert [edge["node"]["subject"] for edge in closed] == ["Mine 1"]

    gql.login(staff_user)
    first = gql(TICKETS, {"first": 5})
    page = first.ok()["tickets"]
    assert len(page["edges"]) == 5 and page["pageInfo"]["hasNextPage"] and not page["pageInfo"]["hasPreviousPage"]
    rest = gql(TICKETS, {"first": 20, "after": page["pageInfo"]["endCursor"]})
    subjects = [edge["node"]["subject"] for edge in rest.ok()["tickets"]["edges"]]
    assert [edge["node"]["subject"] for edge in page["edges"]] == [f"Other {n}" for n in range(11, 6, -1)]
    assert subjects == [f"Other {n}" for n in range(6, -1, -1)] + ["Mine 2", "Mine 1", "Mine 0"]
    assert rest.ok()["tickets"]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True,
                                                "endCursor": rest.ok()["tickets"]["edges"][-1]["cursor"]}
    assert first.queries == rest.queries == 3  # the caller, the tickets with their orders, their messages
    assert gql(TICKETS, {"first": 101}).codes == ["PAGE_SIZE_EXCEEDED"]
    assert gql(TICKETS, {"after": "bm90IGEgY3Vyc29y"}).codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("who", ["customer", "staff"])
def test_a_ticket_may_be_about_any_order_whose_token_is_given(gql, customer, staff_user, guests_order, who):
    gql.login(customer if who == "customer" else staff_user)
    ticket = open_ticket(gql, o=gid("Order", guests_order.pk), t=guests_order.token)
    assert ticket["order"] == {"number": guests_order.number}
    assert Ticket.objects.get().email == f"{who}@example.com"  # a signed-in caller hears at their own address


def test_an_order_of_a_stranger_is_not_reached_by_a_wrong_token(gql, customer, stranger):
    order = make_order(stranger)
    gql.login(customer)
    errors = gql(CREATE, {"s": "Hi", "b": "Hello", "o": gid("Order", order.pk), "t": "wrong"}).ok()["ticketCreate"]
    assert [e["code"] for e in errors["errors"]] == ["NOT_FOUND"]
