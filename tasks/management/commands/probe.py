"""`manage.py probe worker|scheduler`: exit 0 when that process is alive and doing its job (container healthchecks).

- worker: this container's worker touched its heartbeat file within a minute, after a ping of the broker
  (tasks/heartbeat.py).
- scheduler: the scheduler's Redis lock is held. Only one scheduler holds it; a standby that cannot take it
  exits (and is restarted), so a running scheduler container is either the holder or about to retry.
"""
import sys

import redis
from django.conf import settings
from django.core.management.base import BaseCommand

from tasks import heartbeat

SCHEDULER_LOCK = "dramatiq-scheduler"  # dramatiq_crontab.utils' lock name


class Command(BaseCommand):
    help = "Exit 0 when the worker or the scheduler of this container is healthy."

    def add_arguments(self, parser):
        parser.add_argument("process", choices=["worker", "scheduler"])

    def handle(self, *args, process: str, **options):
        healthy, why = (self._worker() if process == "worker" else self._scheduler())
        (self.stdout if healthy else self.stderr).write(why)
        if not healthy:
            sys.exit(1)

    @staticmethod
    def _worker() -> tuple[bool, str]:
        if heartbeat.is_fresh():
            return True, "worker: consuming"
        return False, f"worker: no heartbeat within {heartbeat.STALE_AFTER_SECONDS}s ({heartbeat.PATH})"

    @staticmethod
    def _scheduler() -> tuple[bool, str]:
        if not settings.REDIS_URL:
            return False, "scheduler: REDIS_URL is not set (the embedded server schedules itself)"
        try:
            held = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=3).exists(SCHEDULER_LOCK)
        except redis.RedisError as exc:
            return False, f"scheduler: Redis unreachable ({exc})"
        return (True, "scheduler: lock held") if held else (False, "scheduler: no scheduler holds the lock")
