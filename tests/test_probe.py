"""The container healthchecks of the worker and the scheduler (`manage.py probe`), as docker runs them."""
import os
import subprocess
import sys
import time

import pytest
import redis

from tasks.management.commands.probe import SCHEDULER_LOCK


def probe(what: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "probe", what], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def test_the_worker_is_healthy_only_while_its_heartbeat_is_fresh(tmp_path):
    beat = tmp_path / "beat"
    assert probe("worker", WORKER_HEARTBEAT_FILE=str(beat)).returncode == 1
    beat.touch()
    assert probe("worker", WORKER_HEARTBEAT_FILE=str(beat)).returncode == 0
    os.utime(beat, (time.time() - 120, time.time() - 120))
    assert probe("worker", WORKER_HEARTBEAT_FILE=str(beat)).returncode == 1


def test_the_scheduler_is_healthy_while_a_scheduler_holds_its_lock(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.delete(SCHEDULER_LOCK)
    try:
        assert probe("scheduler", REDIS_URL=redis_url).returncode == 1
        client.set(SCHEDULER_LOCK, "token", ex=30)
        assert probe("scheduler", REDIS_URL=redis_url).returncode == 0
    finally:
        client.delete(SCHEDULER_LOCK)


@pytest.mark.timeout(120)
def test_a_worker_process_beats_once_it_consumes(tmp_path, redis_url):
    """A real `rundramatiq` against Redis touches its heartbeat file within seconds of booting."""
    beat = tmp_path / "beat"
    worker = subprocess.Popen([sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "1"],
                              env={**os.environ, "WORKER_HEARTBEAT_FILE": str(beat), "REDIS_URL": redis_url},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not beat.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert probe("worker", WORKER_HEARTBEAT_FILE=str(beat)).returncode == 0
    finally:
        os.killpg(worker.pid, 15)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)
