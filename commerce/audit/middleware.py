"""The actor of a Django view's changes (the admin's): the session's user, read only if a change is recorded.

The API's operations do not sign in by session (graph.transport.auth): they set their own actor, the token's user,
for the operation, which takes the place of this one."""
from django.urls import reverse

from commerce.audit import acting_as


class ActingUser:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "admin" if request.path.startswith(reverse("admin:index")) else "web"
        with acting_as(getattr(request, "user", None), source=source):
            return self.get_response(request)
