"""The download of a large export, from the link its job emailed."""
from django.contrib import admin
from django.http import FileResponse, Http404

from . import files


def download(request, token: str):
    """404 for anything but a fresh, untampered link opened by the staff member it was sent to in an admin
    session (the same check as every admin page, the second factor included): nothing says an export exists."""
    if not admin.site.has_permission(request):
        raise Http404
    file = files.opened(token, request.user)
    if file is None:
        raise Http404
    answer = FileResponse(file, as_attachment=True, filename=file.name.rsplit("/", 1)[-1])
    answer["Cache-Control"] = "private, no-store"
    return answer
