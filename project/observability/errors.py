"""Sentry, when SENTRY_DSN is set; nothing of it is imported otherwise.

Its Strawberry integration is enabled automatically when Strawberry is installed, and it wraps every field's
resolver (a span and a breadcrumb per field): graph/schema.py removed exactly such hooks for speed, so it is
disabled by name. Django's integration stays (unhandled errors, the request), without its per-middleware and
per-signal spans; Dramatiq's reports jobs that raise. Unexpected GraphQL errors reach Sentry through the log line
graph.transport.masking writes with their stack (Sentry's logging integration). No personal data is sent
(send_default_pii off), and performance tracing is off unless SENTRY_TRACES_SAMPLE_RATE asks (OpenTelemetry does
the tracing, project.observability.tracing).
"""
from django.conf import settings


def start() -> None:
    if not settings.SENTRY_DSN:
        return
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.dramatiq import DramatiqIntegration
    from sentry_sdk.integrations.strawberry import StrawberryIntegration

    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        environment=settings.SENTRY_ENVIRONMENT or None,
        release=settings.SENTRY_RELEASE or None,
        send_default_pii=False,
        traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        integrations=[DjangoIntegration(middleware_spans=False, signals_spans=False, cache_spans=False),
                      DramatiqIntegration()],
        disabled_integrations=[StrawberryIntegration()],
    )
