from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    label = "tasks"

    def ready(self):
        # Declares the actors, registers the periodic ones with the scheduler, and connects the signal receivers.
        from tasks import accounts, catalog, exports, invoices, media, orders, payments, support, webhooks  # noqa: F401
