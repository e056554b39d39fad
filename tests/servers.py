"""Real server processes for end-to-end tests and benchmarks: a free port, daphne, a job worker, readiness, a
clean stop."""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def deployed_env(**overrides: str) -> dict:
    """The environment of a process deployed against the test database: project.settings, DEBUG off, the test
    run's SECRET_KEY (so tokens and sessions the tests make are good there), the run's MEDIA_ROOT, and Stripe's
    keys (give STRIPE_API_BASE, the fake's address, where it is called)."""
    from django.conf import settings

    from tests.fake_stripe import SECRET_KEY, WEBHOOK_SECRET

    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        database_url = f"sqlite:///{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "0",
        "DEBUG": "0",
        "STARTUP_CHECKS": "0",  # test servers run on the test database, SQLite included
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # The suite's clients all come from here: the socket caps are tested by servers that turn this off.
        "GRAPHQL_WS_UNCAPPED_NETWORKS": "127.0.0.1/32",
        **overrides,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_static_collected = False


def collect_static(env: dict) -> None:
    """`collectstatic` into var/static, once per test run (about 3 s): the servers serve the static files from
    there (project/files.py), with the hashed names that pages ask for when DEBUG is off."""
    global _static_collected
    if not _static_collected:
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                       cwd=ROOT, env=env, check=True, timeout=120)
        _static_collected = True


def start_daphne(env: dict, *, port: int | None = None, log=subprocess.DEVNULL, timeout: float = 30.0,
                 args: tuple[str, ...] = ()):
    """Serve project.asgi with daphne as deployed (project.serve; no access log unless `args` ask for one) and
    wait until /healthz answers; returns (process, url)."""
    collect_static(env)
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "project.serve", "-v", "0", *args, "-b", "127.0.0.1", "-p", str(port),
         "project.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                if response.status == 200:
                    return process, base
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"daphne did not become healthy in {timeout:.0f} s")


def start_daphnes_on_one_port(env: dict, count: int, logs: list[Path], *, timeout: float = 30.0):
    """`count` daphne processes accepting on one listening socket, as supervisord runs them (deploy/supervisord.conf:
    a socket it opens, handed to each process as `--fd 0`): here the socket is opened by this process and handed on
    as an inherited descriptor. Each writes its access log to its own `logs` entry. Returns (processes, url) once
    every process answers /healthz, each checked in its access log."""
    collect_static(env)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    processes = []
    try:
        for log in logs[:count]:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "project.serve", "-v", "0", "--access-log", str(log),
                 "--fd", str(listener.fileno()), "project.asgi:application"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                pass_fds=[listener.fileno()],
            ))
    finally:
        listener.close()  # the processes hold it now; the port stays open as long as one of them runs
    deadline = time.monotonic() + timeout
    try:
        while not all(log.exists() and b"/healthz" in log.read_bytes() for log in logs[:count]):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} daphne processes did not all answer in {timeout:.0f} s")
            if any(process.poll() is not None for process in processes):
                raise RuntimeError("a daphne process exited while starting")
            try:  # a fresh connection each time: the kernel hands it to whichever process accepts first
                urllib.request.urlopen(f"{base}/healthz", timeout=1).close()
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
    except BaseException:
        for process in processes:
            stop(process)
        raise
    return processes, base


def start_worker(env: dict, log_path: Path, *, timeout: float = 30.0) -> subprocess.Popen:
    """`manage.py rundramatiq` with one process of two threads; ready when its process says so in the log."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "2",
             "--worker-shutdown-timeout", "2000"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with code {process.returncode}: {log_path.read_text()[-2000:]}")
        if b"ready for action" in log_path.read_bytes():
            return process
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"the worker was not ready in {timeout:.0f} s: {log_path.read_text()[-2000:]}")


def stop(process: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL (to its whole process group: a worker forks) if it is still there after the grace."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=grace)


@contextlib.contextmanager
def worker_and_daphne(env: dict, tmp_path: Path):
    """A worker (its log in `tmp_path`) and daphne deployed with `env`; yields the server's base URL, and stops
    both (daphne first, so nothing it enqueues is left without the worker's chance to take it)."""
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        web, base = start_daphne(env)
        try:
            yield base
        finally:
            stop(web)
    finally:
        stop(worker)
