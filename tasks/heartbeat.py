"""A worker's proof of life for its container's healthcheck (`manage.py probe worker`).

A worker process that is up but cut off from its broker does no work, yet `docker ps` would call it healthy. So
a thread of each worker process touches a file only after the broker answered a ping, and the probe calls the
container healthy while that file is fresh. A file, not a Redis key: the probe then needs nothing but the
container's own disk, and a stale file means exactly "this container's worker is not consuming".
"""
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from dramatiq.middleware import Middleware

logger = logging.getLogger("tasks.heartbeat")

INTERVAL_SECONDS = 10
STALE_AFTER_SECONDS = 60
PATH = Path(os.environ.get("WORKER_HEARTBEAT_FILE") or Path(tempfile.gettempdir()) / "commerce-worker-heartbeat")


def is_fresh(path: Path = PATH, stale_after: float = STALE_AFTER_SECONDS) -> bool:
    try:
        return time.time() - path.stat().st_mtime < stale_after
    except FileNotFoundError:
        return False


class Heartbeat(Middleware):
    """Started in every worker process after boot; a daemon thread, so it never holds a shutdown up."""

    def after_worker_boot(self, broker, worker):
        if getattr(broker, "client", None) is None:
            return  # the in-memory broker of embedded mode and tests: no container, no healthcheck, no file
        threading.Thread(target=self._beat, args=(broker,), name="worker-heartbeat", daemon=True).start()

    @staticmethod
    def _beat(broker) -> None:
        while True:
            try:
                broker.client.ping()  # the Redis broker answers: this worker can consume
                PATH.touch()
            except Exception:  # noqa: BLE001 - a broker that is down is what the stale file reports
                logger.warning("Worker heartbeat: the broker did not answer", exc_info=True)
            time.sleep(INTERVAL_SECONDS)
