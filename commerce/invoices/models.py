"""Invoices and credit notes: numbered documents of an order, immutable once issued.

What a document says is fixed when it is issued (`data`: seller, buyer, lines, taxes, totals, payment, as they were
then), so the PDF, rendered later by a job and again if a render fails, always shows the same figures, whatever
changes afterwards in the settings, the catalog or the customer's account.
"""
from django.db import models


class InvoiceKind(models.TextChoices):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


class InvoiceCounter(models.Model):
    """The last number given for one kind of document in one year. Its row is locked while a number is taken and
    until that transaction commits, so numbers are consecutive and a rolled-back issue gives its number back."""

    kind = models.CharField(max_length=20, choices=InvoiceKind.choices)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="one_counter_per_kind_and_year")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class Invoice(models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=20, choices=InvoiceKind.choices)
    number = models.CharField(max_length=40, unique=True)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    # The document's total as booked: positive for an invoice, negative for a credit note.
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    data = models.JSONField(help_text="What the document shows, as it was when issued.")
    # The REFUNDED event a credit note answers: unique, so one refund never gets two credit notes.
    refund_event = models.OneToOneField("orders.OrderEvent", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="credit_note")
    file = models.CharField(max_length=300, blank=True, help_text="The PDF's name in the default storage, once rendered.")
    rendered_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "sequence"], name="one_document_per_number"),
            # invoiceRequest gives back the order's invoice when it has one: a second would count the sale twice.
            models.UniqueConstraint(fields=["order"], condition=models.Q(kind="INVOICE"), name="one_invoice_per_order"),
        ]

    def __str__(self) -> str:
        return self.number
