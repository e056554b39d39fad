"""The production checklist (docs/deployment.md), as Django system checks that a server refuses to start without.

`manage.py check --deploy` lists them with Django's own deployment checks. A web process with DEBUG off runs
them at start-up (project/asgi.py; STARTUP_CHECKS, on when DEBUG is off) and stops on an error: a shop that
would lose jobs, mix up processes' live feeds, or sign tokens with a guessable key must not take traffic. The
warnings are logged and it starts.
"""
import logging

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("project.checks")

MIN_SECRET_LENGTH = 32


@checks.register(checks.Tags.security, deploy=True)
def production_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return []
    found: list[checks.CheckMessage] = []
    if len(settings.SECRET_KEY) < MIN_SECRET_LENGTH or settings.SECRET_KEY.startswith("insecure"):
        found.append(checks.Error(f"SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters or a placeholder.",
                                  hint="python -c 'import secrets; print(secrets.token_urlsafe(50))'",
                                  id="commerce.E001"))
    if not settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS:
        found.append(checks.Error("ALLOWED_HOSTS must name this shop's hosts (not empty, not '*').", id="commerce.E002"))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        found.append(checks.Error("The database is SQLite: production needs PostgreSQL (DATABASE_URL).",
                                  hint="Checkout's stock locks and the reports rely on PostgreSQL.", id="commerce.E003"))
    if not settings.REDIS_URL:
        found.append(checks.Error("REDIS_URL is not set: jobs would run in this process and live feeds would not "
                                  "reach other processes.", id="commerce.E004"))
    if "*" in settings.CORS_ALLOWED_ORIGINS:
        found.append(checks.Error("CORS_ALLOWED_ORIGINS may not be '*': name the storefronts' origins.", id="commerce.E005"))
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        found.append(checks.Warning("No EMAIL_HOST: emails (order confirmations, password resets) go to the log.",
                                    id="commerce.W001"))
    if settings.PAYMENTS_DEMO:
        found.append(checks.Warning("PAYMENTS_DEMO is on: every order is marked PAID and no money is taken.",
                                    id="commerce.W002"))
    if settings.SECURE_PROXY_SSL_HEADER is None:
        found.append(checks.Warning("BEHIND_TLS_PROXY is off: serve over TLS (a proxy that terminates it sets "
                                    "X-Forwarded-Proto) or secure cookies will not be sent.", id="commerce.W003"))
    return found


def enforce() -> None:
    """Run every check with the deployment ones; log warnings; refuse to start on an error."""
    messages = checks.run_checks(include_deployment_checks=True)
    errors = [m for m in messages if m.is_serious() and not m.is_silenced()]
    for message in messages:
        if not message.is_serious() and not message.is_silenced():
            logger.warning("%s", message)
    if errors:
        raise ImproperlyConfigured("The production checklist failed (docs/deployment.md):\n"
                                   + "\n".join(f"  {m}" for m in errors))
