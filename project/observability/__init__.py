"""Metrics, traces, error tracking and structured logs: what an operator watches the shop with.

- metrics.py: the Prometheus metrics every process records (multi-process safe), and `/metrics` (view.py).
- tracing.py: OpenTelemetry, loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set: a span per HTTP request, per
  GraphQL operation (never per field), per SQL statement, per Redis command and per job.
- errors.py: Sentry, loaded only when SENTRY_DSN is set, without its per-field Strawberry integration.
- jobs.py: the Dramatiq middleware that counts jobs and carries a trace into them.
- apps.py starts what the settings turn on, in every process Django starts (web, worker, scheduler, manage.py).
"""
