"""How the logs are written: paths without query strings and with tokens masked, and one JSON object a line.

A guest's cart or order token is a bearer secret, and an access log is read by more people, and kept longer,
than the database. Query strings go whole (a GET's variables can carry anything); a path segment shaped like a
token (20 or more URL-safe characters, as `/orders/<token>/` will have) is replaced. The daphne that
project.serve runs writes its access log through `loggable_path`; `PathFilter` does the same for Django's
request loggers.
"""
import json
import logging
import re
import sys
from datetime import datetime, timezone

from graph.transport import request_ids

TOKEN_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_-]{20,}(?=/|$)")
MASK = "[token]"


def loggable_path(path: str) -> str:
    return TOKEN_SEGMENT.sub(MASK, path.split("?", 1)[0])


class PathFilter(logging.Filter):
    """For `django.request` ("Not Found: /orders/..."), whose arguments are the reason and the path, and
    daphne's runserver (`django.channels.server`), whose one argument is a dict with the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict) and isinstance(record.args.get("path"), str):
            record.args = {**record.args, "path": loggable_path(record.args["path"])}
        elif isinstance(record.args, tuple):
            record.args = tuple(loggable_path(arg) if isinstance(arg, str) and arg.startswith("/") else arg
                                for arg in record.args)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for a log collector: the record's time (UTC), level, logger and message, the
    request id (graph.transport.request_ids: the `X-Request-Id` a client quotes), the trace id when tracing is on
    (project.observability.tracing), and the exception's stack, if any. LOG_FORMAT=json, the default with DEBUG
    off."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_ids.active()
        if request_id:
            entry["request_id"] = request_id
        trace_id = _trace_id()
        if trace_id:
            entry["trace_id"] = trace_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def _trace_id() -> str | None:
    """The current span's trace id, only if OpenTelemetry is loaded (it is not unless tracing is on)."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
