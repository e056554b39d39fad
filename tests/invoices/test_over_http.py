"""Invoices end to end over real HTTP on PostgreSQL and Redis: daphne serving the API and the signed downloads, a
worker process rendering the PDFs and mailing them, a staff member's bearer token; in rupees."""
import time

import httpx
import pytest
from django.utils import timezone

from commerce.accounts import tokens
from commerce.invoices.models import Invoice
from tests.invoices.conftest import ORDER_INVOICES, REFUND, REQUEST, gid, pdf_text
from tests.mail import files_to
from tests.servers import deployed_env, worker_and_daphne

pytestmark = [pytest.mark.e2e]
YEAR = timezone.localdate().year


@pytest.fixture
def currency() -> str:
    return "INR"


@pytest.fixture
def served(postgres, redis_url, redis_key_prefix, transactional_db, stripe, tmp_path):
    """(base URL, mail directory) of daphne and a worker deployed as the shop's seller in India."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-invoices", STRIPE_API_BASE=stripe.base,
                       INVOICE_SELLER_NAME="Mumbai Traders Pvt Ltd", INVOICE_SELLER_ADDRESS="7 Marine Drive, Mumbai",
                       INVOICE_SELLER_TAX_ID="GSTIN 27AAAAA0000A1Z5",
                       EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir))
    with worker_and_daphne(env, tmp_path) as base:
        yield base, mail_dir


def call(base: str, token: str | None, query: str, **variables) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = httpx.post(f"{base}/graphql/", json={"query": query, "variables": variables}, headers=headers,
                      timeout=30).json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    return payload


def rendered(base: str, token: str, order, count: int, timeout: float = 20.0) -> list[dict]:
    """The order's invoices once `count` of them have a url (the worker rendered them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        invoices = call(base, token, ORDER_INVOICES, id=gid(order))["invoices"]
        if len(invoices) == count and all(i["url"] for i in invoices):
            return invoices
        time.sleep(0.2)
    raise AssertionError(f"not rendered in {timeout:.0f} s: {invoices}")


def download(url: str) -> str:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    return pdf_text(response.content)


def test_an_invoice_and_a_credit_note_in_rupees_end_to_end(paid_order, staff_user, served):
    base, mail_dir = served
    staff = tokens.sign_in(staff_user).access
    anonymous = httpx.post(f"{base}/graphql/", json={"query": REQUEST, "variables": {"id": gid(paid_order)}},
                           timeout=30).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert call(base, staff, REQUEST, id=gid(paid_order))["errors"] == []

    (invoice,) = rendered(base, staff, paid_order, 1)
    text = download(invoice["url"])
    for expected in (f"Invoice INV-{YEAR}-000001", "Mumbai Traders Pvt Ltd 7 Marine Drive Mumbai",
                     "Tax ID: GSTIN 27AAAAA0000A1Z5", "Currency: INR", "2 ₹30.00 ₹60.00", "Discount -₹7.25",
                     "Tax 19% on ₹70.25 ₹13.35", "Total ₹83.60", "Paid with Stripe"):
        assert expected in text, (expected, text)
    prefix, signature = invoice["url"].rstrip("/").rsplit(":", 1)
    assert httpx.get(f"{prefix}:{signature[::-1]}/", timeout=30).status_code == 404  # tampered
    stored = Invoice.objects.get(number=invoice["number"]).file
    assert httpx.get(f"{base}/media/{stored}", timeout=30).status_code == 404  # never served as media

    refunded = call(base, staff, REFUND, id=gid(paid_order), amount="20.90")
    assert refunded["errors"] == [] and refunded["order"]["paymentStatus"] == "PARTIALLY_REFUNDED"
    _, note = rendered(base, staff, paid_order, 2)
    assert (note["kind"], note["number"]) == ("CREDIT_NOTE", f"CN-{YEAR}-000001")
    # 20.90 refunded: its tax share 20.90 x 13.35 / 83.60 = 3.34, net 17.56.
    text = download(note["url"])
    for expected in (f"Credit note CN-{YEAR}-000001", f"Credits invoice: INV-{YEAR}-000001",
                     "Tax 19% on -₹17.56 -₹3.34", "Total -₹20.90", "Status: partially refunded"):
        assert expected in text, (expected, text)

    def documents() -> list[str]:  # the buyer also hears of the payment and the refund (order emails)
        return [mail for mail in files_to(mail_dir, "buyer@example.com") if "application/pdf" in mail]

    deadline = time.monotonic() + 10
    while len(documents()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    invoice_mail, note_mail = documents()
    assert f"INV-{YEAR}-000001.pdf" in invoice_mail and f"CN-{YEAR}-000001.pdf" in note_mail
    assert "Content-Type: application/pdf" in invoice_mail
