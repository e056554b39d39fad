"""Tickets in the admin: the list's filters, the conversation, staff's reply through the services (mailed, and so
pushed as from the API), and a customer's tickets beside their account and their orders."""
from commerce.support import services
from commerce.support.models import Ticket
from tests.mail import sent_to
from tests.support.conftest import make_order


def test_staff_filter_tickets_and_answer_one_from_its_page(admin_client, customer, jobs, mailoutbox):
    order = make_order(customer)
    about_order = services.open_ticket(customer, subject="Late parcel", body="Where is it?", order_id=order.pk)
    services.open_ticket(customer, subject="A question", body="Do you ship to Ghana?")
    listed = lambda query: admin_client.get(f"/admin/support/ticket/?{query}").content.decode()  # noqa: E731
    assert "Late parcel" in listed("order__isempty=0") and "A question" not in listed("order__isempty=0")
    assert "A question" in listed("status__exact=OPEN") and "Late parcel" not in listed("last=staff")

    page = admin_client.get(f"/admin/support/ticket/{about_order.pk}/change/").content.decode()
    assert "Where is it?" in page and f"/admin/orders/order/{order.pk}/change/" in page
    response = admin_client.post(f"/admin/support/ticket/{about_order.pk}/change/",
                                 {"reply": "It ships tomorrow.", "close": "on", **_empty_inlines()})
    assert response.status_code == 302, response.content.decode()[:2000]
    about_order.refresh_from_db()
    assert about_order.status == "CLOSED" and about_order.staff_spoke_last
    assert [(m.from_staff, m.body) for m in about_order.messages.all()] == [(False, "Where is it?"),
                                                                           (True, "It ships tomorrow.")]
    assert "Late parcel" in listed("last=staff")
    jobs.run()
    assert any("It ships tomorrow." in m.body for m in sent_to(mailoutbox, "customer@example.com"))

    refused = admin_client.post(f"/admin/support/ticket/{about_order.pk}/change/",
                                {"reply": "x" * 5001, **_empty_inlines()})
    assert refused.status_code == 200 and about_order.messages.count() == 2


def test_a_customers_tickets_show_on_their_account_and_their_orders(admin_client, customer):
    order = make_order(customer)
    services.open_ticket(customer, subject="Late parcel", body="Where is it?", order_id=order.pk)
    services.open_ticket(customer, subject="A question", body="Hello")
    on_user = admin_client.get(f"/admin/accounts/user/{customer.pk}/change/").content.decode()
    assert "Late parcel" in on_user and "A question" in on_user
    on_order = admin_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Late parcel" in on_order and "A question" not in on_order
    assert Ticket.objects.count() == 2


def _empty_inlines() -> dict:
    """The management form of the (read-only) messages inline, as the page posts it."""
    return {"messages-TOTAL_FORMS": "0", "messages-INITIAL_FORMS": "0", "messages-MIN_NUM_FORMS": "0",
            "messages-MAX_NUM_FORMS": "0"}
