"""PostgreSQL's statement_timeout for the web processes only.

Set by the ASGI entry point (project/asgi.py), which only servers import: a server thread is never held by one
slow query, while `rundramatiq` workers and `migrate` (an index build may take minutes) run without it. It
rides on the connection's start-up options, so it costs no extra round trip per connection.
"""
from django.conf import settings
from django.db import connections


def limit_statement_time() -> None:
    milliseconds = settings.DATABASE_STATEMENT_TIMEOUT_MS
    for alias in connections:
        database = connections.settings[alias]
        if milliseconds > 0 and database["ENGINE"].endswith("postgresql"):
            options = database.setdefault("OPTIONS", {})
            options["options"] = f"{options.get('options', '')} -c statement_timeout={milliseconds}".strip()
