from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "commerce.webhooks"
    label = "webhooks"

    def ready(self):
        from commerce.webhooks import triggers  # noqa: F401  (listens to orders, the catalog and stock)
