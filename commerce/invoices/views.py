"""The download of an invoice's PDF from a signed link (Invoice.url, the admin's links)."""
from django.http import FileResponse, Http404

from . import services


def download(request, token: str):
    """The PDF for a fresh, untampered link; 404 for anything else, so a refused link says nothing of what exists.
    The link is the permission (like a bucket's presigned URL): it is only handed to whoever may see the order."""
    found = services.opened(token)
    if found is None:
        raise Http404
    invoice, file = found
    answer = FileResponse(file, content_type="application/pdf", filename=f"{invoice.number}.pdf")
    answer["Cache-Control"] = "private, no-store"
    answer["X-Content-Type-Options"] = "nosniff"
    return answer
