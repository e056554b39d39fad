"""Jobs inside the server process, for the embedded mode (no REDIS_URL): `make run` needs no second process.

The broker is then Dramatiq's in-memory one; this starts a worker on it, with a few threads, and the scheduler
of periodic jobs, both as daemon threads of the process that serves requests. project/asgi.py starts them, so
only a server does (not `migrate` or a shell). Production runs `manage.py rundramatiq` and `manage.py crontab`
instead, against Redis.
"""
import threading

import dramatiq
from django.conf import settings
from dramatiq import Worker
from dramatiq_crontab import scheduler

_lock = threading.Lock()
_worker: Worker | None = None
_scheduling = False


def start_worker() -> Worker:
    """The process's one in-process worker, started on first call."""
    global _worker
    with _lock:
        if _worker is None:
            _worker = Worker(dramatiq.get_broker(), worker_threads=settings.JOBS_EMBEDDED_THREADS, worker_timeout=100)
            _worker.start()
        return _worker


def stop_worker(timeout_ms: int = 5_000) -> None:
    global _worker
    with _lock:
        if _worker is not None:
            _worker.stop(timeout=timeout_ms)
            _worker = None


def start() -> None:
    """The worker and the scheduler, once per process."""
    global _scheduling
    start_worker()
    with _lock:
        if not _scheduling:
            _scheduling = True
            threading.Thread(target=scheduler.start, name="job-scheduler", daemon=True).start()
