"""The project's settings as a test run needs them.

The Redis key prefix is this run's own: the cache, the channel layer and the job broker are built from it when
Django starts, before any fixture could override them, so two runs on one Redis never see each other's keys.
Passwords hash with a fast hasher, since the real one is slow on purpose. Server processes that tests start
use project.settings, as deployed.
"""
import os
import uuid

os.environ["REDIS_KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:8]}"

from project.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
