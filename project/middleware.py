"""Bounding how many requests a process serves at once; who acts in a Django view, for the audit log.

Under ASGI, Django runs each request's sync code in its own thread, and each such thread opens its own
database connection: a burst of 200 clients becomes 200 PostgreSQL connections, past what the server allows
(100 by default) and slower than serving them in turns. Requests beyond MAX_CONCURRENT_REQUESTS wait for a
slot, before touching the database, instead of failing.
"""
import threading

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from commerce import audit
from graph.transport import request_ids


class ConcurrencyLimit:
    def __init__(self, get_response):
        self.get_response = get_response
        limit = settings.MAX_CONCURRENT_REQUESTS
        self.slots = threading.BoundedSemaphore(limit) if limit > 0 else None

    def __call__(self, request):
        if self.slots is None or request.path == "/healthz":  # liveness answers even when every slot is busy
            return self.get_response(request)
        with self.slots:
            return self.get_response(request)


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
