from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Support tickets: a customer's conversation with staff, optionally about one order."""

    name = "commerce.support"
    label = "support"
