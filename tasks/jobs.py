"""The one way we declare a job: retried with exponential backoff, bounded in time, and recorded in the audit log
as the system (no user) with the job's name.

Messages carry ids, never objects or secrets; an actor loads what it needs and checks its state, so running it
twice (a retry after a lost acknowledgement, a duplicate enqueue) changes nothing the second time.
"""
import functools

import dramatiq

from commerce import audit

RETRIES = 5
MIN_BACKOFF_MS = 2_000
MAX_BACKOFF_MS = 10 * 60_000
TIME_LIMIT_MS = 60_000


def job(fn=None, **options):
    """`@job` or `@job(time_limit=..., queue_name=...)`: dramatiq.actor with our retry and time defaults."""
    options = {
        "max_retries": RETRIES,
        "min_backoff": MIN_BACKOFF_MS,
        "max_backoff": MAX_BACKOFF_MS,
        "time_limit": TIME_LIMIT_MS,
        **options,
    }
    def declare(fn):
        return dramatiq.actor(_as_system(fn), **options)

    return declare if fn is None else declare(fn)


def _as_system(fn):
    """What the job changes is the system's, whoever enqueued it (the audit log's `source` names the job)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with audit.acting_as(None, source=f"job:{fn.__name__}"):
            return fn(*args, **kwargs)
    return run
