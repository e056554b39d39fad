"""Gap-free document numbers: one sequence per kind and calendar year, with the kind's prefix from the settings.

A number is taken in the transaction that issues the document, under the lock of its (kind, year) counter row,
held until that transaction ends: two issues at once get consecutive numbers, and an issue that rolls back gives
its number back with it (the next one takes it), so no number is ever skipped. The PDF is rendered afterwards by a
job; a render that fails is retried on the same number.
"""
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import InvoiceCounter, InvoiceKind

PREFIXES = {InvoiceKind.INVOICE: "INVOICE_NUMBER_PREFIX", InvoiceKind.CREDIT_NOTE: "CREDIT_NOTE_NUMBER_PREFIX"}


def take(kind: str) -> tuple[int, int, str]:
    """(year, sequence, number) for a new document of `kind`; must run inside the transaction that issues it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A document number is taken inside the transaction that issues the document.")
    year = timezone.localdate().year
    # The year's first number creates its row; ON CONFLICT DO NOTHING, so two first issues at once do not collide.
    InvoiceCounter.objects.bulk_create([InvoiceCounter(kind=kind, year=year)], ignore_conflicts=True)
    counter = InvoiceCounter.objects.select_for_update().get(kind=kind, year=year)
    InvoiceCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    sequence = counter.last + 1
    return year, sequence, f"{getattr(settings, PREFIXES[kind])}{year}-{sequence:06d}"
