"""PostgreSQL's statement_timeout for web requests only.

Set by the ASGI entry point (project/asgi.py), which only servers import: a server thread is never held by one
slow query, while `rundramatiq` workers and `migrate` (an index build may take minutes) run without it. It
rides on the connection's start-up options, so it costs no extra round trip per web connection. In embedded
mode the jobs' worker threads live in the server process and open their own connections with the same
options; each of those lifts the timeout once, when it opens (one round trip per job thread's connection), so
a job runs as it would under `rundramatiq`.
"""
import threading

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created


def limit_statement_time() -> None:
    milliseconds = settings.DATABASE_STATEMENT_TIMEOUT_MS
    for alias in connections:
        database = connections.settings[alias]
        if milliseconds > 0 and database["ENGINE"].endswith("postgresql"):
            options = database.setdefault("OPTIONS", {})
            options["options"] = f"{options.get('options', '')} -c statement_timeout={milliseconds}".strip()
    if milliseconds > 0:
        connection_created.connect(_no_limit_for_jobs, dispatch_uid="project.database.no_limit_for_jobs")


def _no_limit_for_jobs(sender, connection, **kwargs) -> None:
    from dramatiq.worker import WorkerThread

    if connection.vendor == "postgresql" and isinstance(threading.current_thread(), WorkerThread):
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
