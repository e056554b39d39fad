"""Invoices in process: requesting one, its PDF's figures, who sees it, its links, and a credit note per refund."""
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone
from strawberry import relay

from commerce.invoices import pdf, services
from commerce.invoices.models import Invoice
from commerce.orders.models import Order
from tests.conftest import GraphQLClient
from tests.fake_stripe import signed
from tests.invoices.conftest import ORDER_INVOICES, REFUND, REQUEST, gid, pdf_text
from tests.payments.test_payments import deliver

YEAR = timezone.localdate().year


def fetch(url: str):
    return Client().get(url.removeprefix("http://testserver"))


def pdf_of(url: str) -> str:
    response = fetch(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    return pdf_text(b"".join(response.streaming_content))


def test_staff_request_an_invoice_and_a_job_renders_and_mails_its_pdf(staff_gql, paid_order, jobs):
    requested = staff_gql(REQUEST, {"id": gid(paid_order)}).ok()["invoiceRequest"]
    assert requested["errors"] == []
    (invoice,) = requested["order"]["invoices"]
    assert (invoice["number"], invoice["kind"]) == (f"INV-{YEAR}-000001", "INVOICE")  # its url: once rendered
    assert requested["order"]["events"][-1] == {"type": "INVOICE_CREATED", "message": f"Invoice INV-{YEAR}-000001."}
    jobs.run()
    (invoice,) = staff_gql(ORDER_INVOICES, {"id": gid(paid_order)}).ok()["order"]["invoices"]
    text = pdf_of(invoice["url"])
    for expected in (f"Invoice INV-{YEAR}-000001", "Lagos Goods Ltd 4 Marina Road Lagos NG Tax ID: TIN-0042",
                     "Bill to Ada Lovelace 12 Square 10115 Berlin DE buyer@example.com",
                     f"Order: #{paid_order.number}", "Currency: NGN", "Ceramic Mug Size 0", "1 ₦12.50 ₦12.50",
                     "Linen Shirt Size 0", "2 ₦30.00 ₦60.00", "Subtotal ₦72.50", "Discount -₦7.25",
                     "Shipping (Standard) ₦5.00", "Tax 19% on ₦70.25 ₦13.35", "Total ₦83.60",
                     "Paid with Stripe", "Status: paid"):
        assert expected in text, (expected, text)
    (sent,) = mail.outbox
    assert sent.to == ["buyer@example.com"] and sent.subject == (
        f"Your invoice INV-{YEAR}-000001 for order #{paid_order.number}")
    assert sent.attachments[0][0] == f"INV-{YEAR}-000001.pdf" and sent.attachments[0][1].startswith(b"%PDF")


def test_asking_again_gives_back_the_order_s_invoice(staff_gql, paid_order):
    first = staff_gql(REQUEST, {"id": gid(paid_order)}).ok()["invoiceRequest"]["order"]
    again = staff_gql(REQUEST, {"id": gid(paid_order)}).ok()["invoiceRequest"]["order"]
    assert again["invoices"] == first["invoices"] and len(again["invoices"]) == 1
    assert first["invoices"][0]["url"] is None  # no PDF yet: nothing to link to
    assert [e["type"] for e in again["events"]].count("INVOICE_CREATED") == 1


def as_(user=None) -> GraphQLClient:
    """A client of its own (gql and staff_gql are one client, signed in as whoever logged in last)."""
    client = GraphQLClient(Client())
    return client.login(user) if user else client


def test_only_staff_request_invoices_and_only_for_paid_orders(staff_gql, customer, paid_order, store, ready_cart):
    from tests.orders.conftest import place

    for caller in (as_(), as_(customer)):
        refused = caller(REQUEST, {"id": gid(paid_order)})
        assert refused.codes == ["FORBIDDEN"] and refused.data is None
    assert not Invoice.objects.exists()
    unpaid = Order.objects.get(token=place(staff_gql, ready_cart((store.mug, 1)))["order"]["token"])
    payload = staff_gql(REQUEST, {"id": gid(unpaid)}).ok()["invoiceRequest"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["orderId"], "INVALID_TRANSITION")]
    assert staff_gql(REQUEST, {"id": "nonsense"}).ok()["invoiceRequest"]["errors"][0]["code"] == "INVALID"


def test_customers_see_their_own_orders_invoices_only(staff_gql, customer, paid_order, django_user_model):
    staff_gql(REQUEST, {"id": gid(paid_order)}).ok()
    invoice = Invoice.objects.get()
    node = "query ($id: ID!) { node(id: $id) { ... on Invoice { number } } }"
    invoice_id = relay.to_base64("Invoice", invoice.pk)
    owner = as_(customer)
    assert [i["number"] for i in owner(ORDER_INVOICES, {"id": gid(paid_order)}).ok()["order"]["invoices"]] == [
        invoice.number]
    assert owner(node, {"id": invoice_id}).ok()["node"] == {"number": invoice.number}
    stranger = as_(django_user_model.objects.create_user("other@example.com", "a-long-password-1"))
    assert stranger(ORDER_INVOICES, {"id": gid(paid_order)}).ok()["order"] is None
    assert stranger(node, {"id": invoice_id}).ok()["node"] is None
    by_token = "query ($t: String!) { order(token: $t) { invoices { number } } }"
    assert as_()(by_token, {"t": paid_order.token}).ok()["order"]["invoices"] == [
        {"number": invoice.number}]


def test_an_expired_or_tampered_link_is_refused(staff_gql, paid_order, settings, monkeypatch):
    staff_gql(REQUEST, {"id": gid(paid_order)}).ok()
    services.render(Invoice.objects.get().pk)
    (invoice,) = staff_gql(ORDER_INVOICES, {"id": gid(paid_order)}).ok()["order"]["invoices"]
    assert fetch(invoice["url"]).status_code == 200
    signature = invoice["url"].rstrip("/").rsplit(":", 1)
    assert fetch(f"{signature[0]}:{signature[1][::-1]}/").status_code == 404
    other_pk = invoice["url"].replace(f"/invoices/{Invoice.objects.get().pk}:", "/invoices/999:")
    assert fetch(other_pk).status_code == 404
    now = time.time()
    monkeypatch.setattr("django.core.signing.time.time", lambda: now + settings.INVOICE_LINK_LIFETIME.total_seconds() + 1)
    assert fetch(invoice["url"]).status_code == 404
    assert Invoice.objects.get().file not in invoice["url"]  # the storage's name is never shown


def test_a_refund_gets_exactly_one_credit_note_whichever_way_it_is_recorded(staff_gql, paid_order, stripe, jobs):
    staff_gql(REQUEST, {"id": gid(paid_order)}).ok()
    part = staff_gql(REFUND, {"id": gid(paid_order), "amount": "10.00"}).ok()["orderRefund"]
    assert part["errors"] == [] and part["order"]["paymentStatus"] == "PARTIALLY_REFUNDED"
    intent_id = paid_order.payments.get().intent_id
    deliver(*signed(stripe.refunded(intent_id, 1000)))  # Stripe's own account of the same refund: no new refund
    deliver(*signed(stripe.refunded(intent_id, 3000)))  # a refund made in Stripe's dashboard: 20.00 more
    deliver(*signed(stripe.refunded(intent_id, 3000)))  # and its event delivered twice
    jobs.run()
    invoices = staff_gql(ORDER_INVOICES, {"id": gid(paid_order)}).ok()["order"]["invoices"]
    assert [(i["kind"], i["number"]) for i in invoices] == [
        ("INVOICE", f"INV-{YEAR}-000001"), ("CREDIT_NOTE", f"CN-{YEAR}-000001"), ("CREDIT_NOTE", f"CN-{YEAR}-000002")]
    assert [n.total for n in Invoice.objects.filter(kind="CREDIT_NOTE")] == [Decimal("-10.00"), Decimal("-20.00")]
    assert Order.objects.get(pk=paid_order.pk).refunded_total == Decimal("30.00")
    text = pdf_of(invoices[1]["url"])
    # 10.00 refunded, of which the order's share of tax (13.35 of 83.60) is 1.60.
    for expected in (f"Credit note CN-{YEAR}-000001", f"Credits invoice: INV-{YEAR}-000001",
                     f"Refund for order #{paid_order.number} (invoice INV-{YEAR}-000001) 1 -₦8.40 -₦8.40",
                     "Subtotal -₦8.40", "Tax 19% on -₦8.40 -₦1.60", "Total -₦10.00", "Status: partially refunded"):
        assert expected in text, (expected, text)
    assert sorted(m.subject for m in mail.outbox if "INV-" in m.subject or "CN-" in m.subject) == sorted(
        [f"Your invoice INV-{YEAR}-000001 for order #{paid_order.number}"]
        + [f"Your credit note CN-{YEAR}-00000{n} for order #{paid_order.number}" for n in (1, 2)])


def test_a_stray_payment_s_refund_is_no_credit_note(paid_order, stripe):
    """Money that never paid the order (refunded as stray) was never the order's sale."""
    from commerce.payments import services as payments

    payments.refund_stray(paid_order.payments.get().pk)  # not stray: nothing happens
    assert not Invoice.objects.filter(kind="CREDIT_NOTE").exists()


def test_a_failed_render_leaves_the_number_and_is_retried(staff_gql, paid_order, settings):
    font, settings.INVOICE_FONT = settings.INVOICE_FONT, "/nonexistent/font.ttf"
    pdf.fonts.cache_clear()
    try:
        staff_gql(REQUEST, {"id": gid(paid_order)}).ok()
        with pytest.raises(ImproperlyConfigured, match="fonts-dejavu-core"):
            services.render(Invoice.objects.get().pk)
        assert Invoice.objects.get().file == ""
    finally:
        settings.INVOICE_FONT = font
        pdf.fonts.cache_clear()
    assert services.render(Invoice.objects.get().pk).number == f"INV-{YEAR}-000001"
    assert Invoice.objects.get().file.endswith(f"/INV-{YEAR}-000001.pdf")


def _document(currency: str) -> dict:
    return {"seller": {"name": "S", "address": [], "email": "", "tax_id": ""},
            "buyer": {"name": "B", "address": [], "email": "b@example.com"}, "order_number": "1",
            "order_date": "2026-01-01", "currency": currency,
            "lines": [{"description": "Tea", "sku": "T", "quantity": 1, "unit_price": "1500.00", "total": "1500.00"}],
            "subtotal": "1500.00", "discount": "0", "shipping": "0", "shipping_method": "",
            "taxes": [{"rate": "18%", "base": "1500.00", "tax": "270.00"}], "tax": "270.00", "total": "1770.00",
            "payment": {"gateway": "Razorpay", "reference": "pay_1", "status": "PAID"}}


def test_rupees_and_cedis_are_drawn_in_the_embedded_font():
    for currency, sign in (("INR", "₹"), ("GHS", "₵"), ("EUR", "€"), ("NGN", "₦")):
        text = pdf_text(pdf.render("INV-1", "INVOICE", "2026-01-01", _document(currency)))
        assert f"Tax 18% on {sign}1,500.00 {sign}270.00" in text and f"Total {sign}1,770.00" in text
