"""Invoice and credit note PDFs, rendered and mailed once their numbers are committed (commerce.invoices)."""
from django.dispatch import receiver

from commerce.invoices import services
from commerce.invoices.signals import invoice_issued
from tasks.jobs import job


@job
def render_invoice(invoice_id: int) -> None:
    """Idempotent: the PDF is written once, the email sent once. A failed render is retried on the same number."""
    if services.render(invoice_id) is not None:
        services.send(invoice_id)


@receiver(invoice_issued)
def _issued(sender, invoice_id: int, **kwargs) -> None:
    render_invoice.send(invoice_id)
