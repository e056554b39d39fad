"""What every HTTP request meets before Django: its request id, and the cap on its body.

Django's ASGI handler reads a whole body (spooling a large one to disk) before any middleware runs, and a body
over DATA_UPLOAD_MAX_MEMORY_SIZE then fails as RequestDataTooBig, with an HTML page and a logged traceback. So
the cap is kept here, on the ASGI messages: a `Content-Length` over it is answered 413 before a byte of the body
is read, and a body without one (chunked) is counted as its chunks arrive and refused once it passes the cap.
Multipart uploads and the webhook endpoints have a larger cap of their own (REQUEST_MAX_UPLOAD_BYTES). The 413
of `/graphql/` is in the GraphQL shape, with REQUEST_TOO_LARGE and `maximum`; other paths get plain text.
daphne's server (Twisted) reads a whole body before it calls any application, so project.serve keeps the same
cap, with the same answer, there (`body_cap`, `too_large`); this wrapper keeps it under any other server.

Each request is given its id here (graph.transport.request_ids), sent back as `X-Request-Id` on every answer.
"""
import json

from django.conf import settings

from graph.transport import request_ids
from graph.transport.views import too_large_message

UPLOAD_PATHS = ("/webhooks/",)


class Gate:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        with request_ids.assigned() as request_id:
            await self._serve(scope, receive, _with_header(send, b"x-request-id", request_id.encode()))

    async def _serve(self, scope, receive, send):
        maximum = body_cap(scope["path"], _header(scope, b"content-type"))
        declared = _content_length(scope)
        if declared is not None and declared > maximum:
            return await _too_large(scope, send, maximum)
        over = False
        received = 0

        async def counted():
            """The body's messages as they come; once they pass the cap, the app is told the client left."""
            nonlocal over, received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > maximum:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        started = False

        async def watched(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, watched)
        if over and not started:
            await _too_large(scope, send, maximum)


def body_cap(path: str, content_type: bytes | None) -> int:
    """The most bytes a request's body may have: the upload cap for multipart bodies and webhooks."""
    if (content_type or b"").lower().startswith(b"multipart/form-data") or path.startswith(UPLOAD_PATHS):
        return settings.REQUEST_MAX_UPLOAD_BYTES
    return settings.REQUEST_MAX_BODY_BYTES


def too_large(path: str, maximum: int) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The 413 (status, headers, body) of a body over `maximum`; it closes the connection, whose unread body
    could not be told from a next request."""
    message = too_large_message(maximum)
    if path.rstrip("/") == "/graphql":
        error = {"message": message, "extensions": {"code": "REQUEST_TOO_LARGE", "maximum": maximum}}
        body, content_type = json.dumps({"errors": [error]}).encode(), b"application/json"
    else:
        body, content_type = message.encode(), b"text/plain; charset=utf-8"
    return 413, [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                 (b"cache-control", b"no-store"), (b"connection", b"close")], body


def _header(scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope.get("headers", ()) if key.lower() == name), None)


def _content_length(scope) -> int | None:
    try:
        return int(_header(scope, b"content-length"))
    except (TypeError, ValueError):
        return None


async def _too_large(scope, send, maximum: int) -> None:
    status, headers, body = too_large(scope["path"], maximum)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _with_header(send, name: bytes, value: bytes):
    async def sending(message):
        if message["type"] == "http.response.start":
            headers = [(key, val) for key, val in message.get("headers", ()) if key.lower() != name]
            message = {**message, "headers": [*headers, (name, value)]}
        await send(message)
    return sending
