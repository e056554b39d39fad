"""Issuing invoices and credit notes, rendering and mailing their PDFs, and the signed links that fetch them.

An order has one invoice: asking again gives back the one it has (and renders it again if its PDF is missing),
never a second number for the same sale. Each refund the payments domain records gets one credit note, issued in
the transaction that records it (commerce.invoices.receivers), for the part of the refunded total not yet
credited. Numbers are taken in the issuing transaction (commerce.invoices.numbers); the PDF and the email follow
from a job once it commits, and both are safe to run again.
"""
import secrets

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from commerce.errors import Code, DomainError
from commerce.events import announce
from commerce.notifications.emails import send_once
from commerce.orders.models import Order, OrderEvent, OrderEventType, PaymentStatus
from commerce.orders.services import record_event

from . import documents, numbers, pdf
from .models import Invoice, InvoiceKind
from .signals import invoice_issued

_SALT = "commerce.invoices.download"


class InvoiceError(DomainError):
    code = Code.INVALID_TRANSITION


def request_invoice(order: Order, *, actor) -> Order:
    """The order's invoice: issued now (numbered, INVOICE_CREATED) or, when it has one, that one."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.payment_status == PaymentStatus.NOT_PAID:
            raise InvoiceError("An order is invoiced once it is paid.", field=["orderId"])
        existing = order.invoices.filter(kind=InvoiceKind.INVOICE).first()
        if existing is None:
            invoice = _issue(order, InvoiceKind.INVOICE, documents.invoice(order), total=order.total, actor=actor)
            record_event(order, OrderEventType.INVOICE_CREATED, actor=actor, message=f"Invoice {invoice.number}.")
        elif not existing.file:  # its render failed past its retries: try again
            announce(invoice_issued, invoice_id=existing.pk)
    return order


@transaction.atomic
def credit_refund(event: OrderEvent) -> Invoice | None:
    """A credit note for the refund `event` recorded: what the order's refunded total holds beyond what earlier
    credit notes credited. Runs in the transaction that records the refund, so one refund gets exactly one."""
    order = Order.objects.select_for_update().get(pk=event.order_id)
    credited = -(order.invoices.filter(kind=InvoiceKind.CREDIT_NOTE).aggregate(sum=Sum("total"))["sum"] or 0)
    amount = order.refunded_total - credited
    if amount <= 0:
        return None
    refers_to = order.invoices.filter(kind=InvoiceKind.INVOICE).values_list("number", flat=True).first() or ""
    note = _issue(order, InvoiceKind.CREDIT_NOTE, documents.credit_note(order, amount, refers_to), total=-amount,
                  actor=event.actor, refund_event=event)
    record_event(order, OrderEventType.INVOICE_CREATED, actor=event.actor,
                 message=f"Credit note {note.number} for {amount} {order.currency} refunded.")
    return note


def _issue(order: Order, kind: str, data: dict, **fields) -> Invoice:
    year, sequence, number = numbers.take(kind)
    invoice = Invoice.objects.create(order=order, kind=kind, year=year, sequence=sequence, number=number,
                                     currency=order.currency, data=data, **fields)
    announce(invoice_issued, invoice_id=invoice.pk)
    return invoice


def render(invoice_id: int) -> Invoice | None:
    """Write the document's PDF to the storage, once: a retry, or a second job, finds it written."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
        if invoice is None or invoice.file:
            return invoice
        content = pdf.render(invoice.number, invoice.kind, timezone.localdate(invoice.created_at).isoformat(),
                             invoice.data)
        # A random folder as well as the private prefix: the name is never guessed, even in a shared bucket.
        name = f"{settings.INVOICES_PREFIX.strip('/')}/{invoice.year}/{secrets.token_urlsafe(16)}/{invoice.number}.pdf"
        invoice.file = default_storage.save(name, ContentFile(content))
        invoice.rendered_at = timezone.now()
        invoice.save(update_fields=["file", "rendered_at"])
    return invoice


def send(invoice_id: int) -> bool:
    """Mail the PDF to the customer, attached; once per document, however often the job runs."""
    invoice = Invoice.objects.select_related("order").filter(pk=invoice_id).first()
    if invoice is None or not invoice.file or invoice.order.personal_data_erased_at:
        return False
    with default_storage.open(invoice.file, "rb") as file:
        content = file.read()
    title = pdf.TITLES[invoice.kind].lower()
    return send_once(f"invoice:{invoice.pk}", "invoice_issued", invoice.order.email,
                     {"invoice": invoice, "order": invoice.order, "title": title, "refunded": -invoice.total},
                     attachments=[(f"{invoice.number}.pdf", content, "application/pdf")])


def signed_path(invoice: Invoice) -> str | None:
    """The download's path, signed for this document and good for INVOICE_LINK_LIFETIME; None before its PDF."""
    if not invoice.file:
        return None
    return reverse("invoice_download", args=[signing.TimestampSigner(salt=_SALT).sign(str(invoice.pk))])


def opened(token: str) -> tuple[Invoice, object] | None:
    """The document and its open file for a fresh, untampered link; None for anything else."""
    try:
        pk = signing.TimestampSigner(salt=_SALT).unsign(token, max_age=settings.INVOICE_LINK_LIFETIME.total_seconds())
    except signing.BadSignature:  # tampered, or expired (SignatureExpired)
        return None
    invoice = Invoice.objects.filter(pk=int(pk)).exclude(file="").first()
    if invoice is None or not default_storage.exists(invoice.file):
        return None
    return invoice, default_storage.open(invoice.file, "rb")
