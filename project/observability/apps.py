from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "project.observability"
    label = "observability"

    def ready(self):
        """Sentry first (it patches Django's handler), then tracing; each only when its setting is set."""
        from project.observability import errors, tracing

        errors.start()
        tracing.start()
