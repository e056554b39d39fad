"""Bounding how many requests a process serves at once.

Under ASGI, Django runs each request's sync code in its own thread, and each such thread opens its own
database connection: a burst of 200 clients becomes 200 PostgreSQL connections, past what the server allows
(100 by default) and slower than serving them in turns. Requests beyond MAX_CONCURRENT_REQUESTS wait for a
slot, before touching the database, instead of failing.
"""
import threading

from django.conf import settings


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
