from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "commerce.invoices"
    label = "invoices"

    def ready(self):
        from . import receivers  # noqa: F401  (a credit note for every refund the payments domain records)
