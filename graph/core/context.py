"""One request context for HTTP and websockets: who is calling, from where, and what the operation carried.

Resolvers and extensions read `info.context` the same way whichever transport brought the operation. HTTP makes
one per request (graph.transport.views); a websocket makes one when it connects and gives each operation a copy
of it carrying that operation's `extensions` (graph.transport.consumers), so nothing a resolver reads is missing
on one transport. What HTTP sends as a header, a socket's operation sends in its extensions.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from strawberry.types import Info

from commerce.accounts.throttle import client_address
from commerce.permissions import is_signed_in, is_staff
from graph.core.errors import ApiError


@dataclass
class Context:
    headers: Mapping[str, str] = field(default_factory=dict)  # the request's, or the websocket handshake's
    remote_addr: str | None = None  # the peer that connected (a proxy, behind one)
    user: Any = None  # the caller, once graph.transport.auth or connection_init has signed them in
    extensions: Mapping[str, Any] = field(default_factory=dict)  # the operation's own `extensions`
    request: Any = None  # the Django HttpRequest (HTTP only)
    response: Any = None  # where an HTTP answer's headers are set (HTTP only)
    ws: Any = None  # the consumer, to listen to the channel layer (websockets only)
    connection_params: dict | None = None  # connection_init's payload (Strawberry sets it; websockets only)
    sign_in: int | None = None  # the token family a socket signed in with, checked again at each operation
    # Accounts this operation signed up (accountRegister): graph.transport.metering starts their cost buckets no
    # fuller than the address's, so signing up is no way round the address's throttle.
    signed_up: list = field(default_factory=list)

    @classmethod
    def for_request(cls, request, response) -> "Context":
        return cls(headers=request.headers, remote_addr=request.META.get("REMOTE_ADDR"), request=request,
                   response=response)

    @classmethod
    def for_socket(cls, consumer) -> "Context":
        scope = consumer.scope
        headers = {name.decode("latin1").lower(): value.decode("latin1") for name, value in scope.get("headers", ())}
        return cls(headers=headers, remote_addr=(scope.get("client") or (None,))[0], ws=consumer)

    def for_operation(self, extensions: Mapping[str, Any] | None) -> "Context":
        """A socket's context for one of its operations (operations run side by side on one socket)."""
        return replace(self, extensions=extensions or {}, signed_up=[])

    @property
    def method(self) -> str | None:
        """The HTTP request's method ("GET", "POST"); None over a websocket."""
        return getattr(self.request, "method", None)

    def absolute_url(self, url: str) -> str:
        """A path of this server (a media file's `/media/...`) as an address any client can fetch: with the
        request's scheme and host (as Django sees them behind a proxy: BEHIND_TLS_PROXY). An absolute URL (a bucket's,
        an absolute MEDIA_URL) is kept, and so is a path asked for over a websocket, which has no request."""
        if self.request is None or urlsplit(url).scheme:
            return url
        return self.request.build_absolute_uri(url)

    def header(self, name: str) -> str | None:
        return self.headers.get(name) or self.headers.get(name.lower())

    @property
    def viewer(self):
        """The signed-in caller, or None."""
        return self.user if is_signed_in(self.user) else None

    @property
    def client_ip(self) -> str:
        """The caller's address: the peer, or the entry TRUSTED_PROXY_HOPS from the end of X-Forwarded-For
        (commerce.accounts.throttle.client_address, which the admin's login asks too)."""
        return client_address(self.remote_addr, self.header("X-Forwarded-For"))

    @property
    def idempotency_key(self) -> str | None:
        """The `Idempotency-Key` header over HTTP; over a websocket, the operation's `extensions.idempotencyKey`."""
        key = self.header("Idempotency-Key") if self.ws is None else self.extensions.get("idempotencyKey")
        return str(key) if key else None


def viewer(info: Info):
    """The signed-in user of this operation, or None."""
    return info.context.viewer


def viewer_is_staff(info: Info) -> bool:
    return is_staff(viewer(info))


def require_user(info: Info):
    """The signed-in caller, or a top-level UNAUTHENTICATED for a field that needs one."""
    user = viewer(info)
    if user is None:
        raise ApiError("Sign in to do this.", code="UNAUTHENTICATED")
    return user


def require_staff(info: Info):
    """The caller if they are staff, else a top-level FORBIDDEN (the contract's error for role-gated fields)."""
    user = viewer(info)
    if not is_staff(user):
        raise ApiError("This needs a staff account.", code="FORBIDDEN")
    return user


def refuse_over_get(info: Info, argument: str) -> None:
    """A secret argument (an order's or a cart's token) is refused over GET: a query string lands in access logs,
    proxies and browser history. Such answers are never public-cacheable, so POST costs the client nothing; the
    answer is a 405, as a mutation over GET is."""
    context = info.context
    if context.method != "GET":
        return
    if context.response is not None:
        context.response.status_code = 405
        context.response["Allow"] = "POST"
    raise ApiError(f"Send '{argument}' in a POST body, not in a URL.", code="METHOD_NOT_ALLOWED")
