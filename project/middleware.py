"""Who acts in a Django view, for the audit log. (Bounding a process's concurrent requests is project.threads'.)"""
from django.urls import NoReverseMatch, reverse

from commerce import audit
from graph.transport import request_ids


class ActingUser:
    """The actor the audit log names for a Django view's changes (the admin's): the session's user, read only when
    a change is recorded, with the request's id (project.gate). The API signs nobody in by session: its operations
    set their own actor, the token's user, which takes this one's place (graph.transport.auth)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            source = "admin" if request.path.startswith(reverse("admin:index")) else "web"
        except NoReverseMatch:  # a URLconf without the admin
            source = "web"
        with audit.acting_as(getattr(request, "user", None), source=source, request_id=request_ids.current()):
            return self.get_response(request)
