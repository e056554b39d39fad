"""What the invoices domain announces (on commit, through commerce.events.announce)."""
from django.dispatch import Signal

invoice_issued = Signal()  # invoice_id: a document was numbered and waits for its PDF (and its email)
