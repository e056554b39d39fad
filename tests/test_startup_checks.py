"""A server with DEBUG off refuses to start on an unsafe configuration (project/checks.py), naming what is wrong."""
import os
import subprocess
import sys

from django.conf import settings

GOOD_KEY = "k" * 50


def _start(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "STARTUP_CHECKS", "REDIS_URL",
                                                              "DATABASE_URL", "ALLOWED_HOSTS"}}
    return subprocess.run([sys.executable, "-c", "import project.asgi"], capture_output=True, text=True, timeout=120,
                          env={**clean, "DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "0", **env},
                          cwd=settings.BASE_DIR)


def test_an_unsafe_production_configuration_refuses_to_start_and_says_why():
    result = _start(SECRET_KEY="short", ALLOWED_HOSTS="*")
    assert result.returncode != 0
    for what in ["commerce.E001", "commerce.E002", "commerce.E003", "commerce.E004"]:
        assert what in result.stderr


def test_a_safe_configuration_starts_with_warnings_only(tmp_path):
    result = _start(SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="shop.example.com", REDIS_URL="redis://127.0.0.1:6379/15",
                    DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused", PAYMENTS_DEMO="1", JOBS_EMBEDDED="0")
    assert "commerce.E0" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr


def test_the_checklist_can_be_read_with_manage_py_check_deploy():
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], capture_output=True, text=True,
                            timeout=120, cwd=settings.BASE_DIR,
                            env={**clean, "DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "0", "SECRET_KEY": "x"})
    assert "commerce.E001" in result.stderr + result.stdout
