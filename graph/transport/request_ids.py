"""One id per HTTP request and per websocket operation, so that a client's report finds the log line.

The `X-Request-Id` header (project.gate), a masked error's `extensions.requestId` and the log line that keeps
its stack (graph.transport.masking) carry the same value. It lives in a context variable: set where a request
or an operation starts, it follows the work into Django's threads and the tasks an operation starts.

An inbound `X-Request-Id` is not honoured: the id is what a client quotes to support, and one the client chose
could name another request's log lines, or carry text into the logs. A proxy that keeps its own ids logs ours
from the response header beside them.
"""
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def new() -> str:
    return uuid.uuid4().hex


def current() -> str:
    """This request's or operation's id; a fresh one for work outside any (a job, a schema run by hand)."""
    return _current.get() or new()


def active() -> str | None:
    """The id of the request or operation under way, if any (the logs' `request_id`, project.logs)."""
    return _current.get()


@contextmanager
def assigned(request_id: str | None = None):
    """Within the block, and in threads and tasks started from it, `current()` is this id."""
    token = _current.set(request_id or new())
    try:
        yield _current.get()
    finally:
        _current.reset(token)
