"""Paths as the logs keep them: without the query string, and with any token in them masked.

A guest's cart or order token is a bearer secret, and an access log is read by more people, and kept longer,
than the database. Query strings go whole (a GET's variables can carry anything); a path segment shaped like a
token (20 or more URL-safe characters, as `/orders/<token>/` will have) is replaced. The daphne that
project.serve runs writes its access log through `loggable_path`; `PathFilter` does the same for Django's
request loggers.
"""
import logging
import re

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
