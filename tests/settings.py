"""The project's settings as a test run needs them.

The Redis key prefix is this run's own: the cache, the channel layer and the job broker are built from it when
Django starts, before any fixture could override them, so two runs on one Redis never see each other's keys.
Passwords hash with a fast hasher, since the real one is slow on purpose. Pages rendered in-process name static
files unhashed, so the suite needs no `collectstatic` (tests/servers.py runs it for the servers it starts), and
uploads go to a directory of this run's own. Server processes that tests start use project.settings, as deployed.
"""
import atexit
import os
import shutil
import tempfile
import uuid

os.environ["REDIS_KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:8]}"

from project.settings import *  # noqa: E402,F401,F403
from project.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
MEDIA_ROOT = tempfile.mkdtemp(prefix="commerce-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, True)
