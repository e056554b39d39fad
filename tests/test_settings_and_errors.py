"""Start-up refuses an unsafe production configuration; unexpected errors never leak internals."""
import os
import subprocess
import sys

import strawberry
from django.conf import settings as django_settings

from graph.transport.masking import ErrorCodes


def _import_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import project.settings"],
        env={**clean, **env}, cwd=django_settings.BASE_DIR, capture_output=True, text=True, timeout=60,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = _import_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert _import_settings(DEBUG="0", SECRET_KEY="s3cret-from-the-environment").returncode == 0


@strawberry.type
class Boom:
    @strawberry.field
    def explode(self) -> int:
        raise RuntimeError("database password is hunter2")


def test_unexpected_errors_are_masked_with_a_request_id_when_debug_is_off(settings, caplog):
    settings.DEBUG = False
    result = strawberry.Schema(query=Boom, extensions=[ErrorCodes]).execute_sync("{ explode }")
    error = result.errors[0].formatted
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in str(error)
    request_id = error["extensions"]["requestId"]
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)  # the logs keep the stack


@strawberry.type
class SlowReport:
    @strawberry.field
    def figures(self) -> int:
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")
            cursor.execute("SELECT pg_sleep(2)")
        return 1


def test_a_query_cut_by_the_statement_timeout_is_masked_and_logged_as_a_timeout(postgres, settings, caplog):
    settings.DEBUG = False
    result = strawberry.Schema(query=SlowReport, extensions=[ErrorCodes]).execute_sync("{ figures }")
    error = result.errors[0].formatted
    assert error["message"] == "Unexpected error." and error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    (logged,) = [r for r in caplog.records if error["extensions"]["requestId"] in r.getMessage()]
    assert logged.getMessage().startswith("Database statement timeout: Unexpected error in GraphQL operation")


SHOW_TIMEOUT = ("from django.db import connection; cursor = connection.cursor(); "
                "cursor.execute('SHOW statement_timeout'); print(cursor.fetchone()[0])")


def test_web_processes_have_a_statement_timeout_that_jobs_and_migrations_do_not(postgres):
    from tests.servers import deployed_env

    env = deployed_env(DATABASE_STATEMENT_TIMEOUT_MS="7000")
    web = subprocess.run([sys.executable, "-c", f"import os, project.asgi; {SHOW_TIMEOUT}; os._exit(0)"],
                         env=env, cwd=django_settings.BASE_DIR, capture_output=True, text=True, timeout=60)
    assert web.stdout.strip() == "7s", web.stderr[-2000:]
    command = subprocess.run([sys.executable, "manage.py", "shell", "-c", SHOW_TIMEOUT],
                             env=env, cwd=django_settings.BASE_DIR, capture_output=True, text=True, timeout=60)
    assert command.stdout.strip().splitlines()[-1] == "0", command.stderr[-2000:]


IN_A_JOB_THREAD = (  # what a job's thread sees, next to a request's, in one embedded-mode web process
    "import os, threading, project.asgi; from dramatiq.worker import WorkerThread\n"
    "class Job(WorkerThread):\n"
    "    def __init__(self): threading.Thread.__init__(self)\n"
    f"    def run(self): {SHOW_TIMEOUT}\n"
    f"job = Job(); job.start(); job.join(); {SHOW_TIMEOUT}; os._exit(0)"
)


def test_embedded_jobs_run_without_the_web_statement_timeout(postgres):
    from tests.servers import deployed_env

    env = deployed_env(DATABASE_STATEMENT_TIMEOUT_MS="7000")
    env.pop("REDIS_URL", None)  # embedded mode
    shown = subprocess.run([sys.executable, "-c", IN_A_JOB_THREAD], env=env, cwd=django_settings.BASE_DIR,
                           capture_output=True, text=True, timeout=60)
    assert shown.stdout.split() == ["0", "7s"], shown.stderr[-2000:]
