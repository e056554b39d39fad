from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "commerce.orders"
    label = "orders"

    def ready(self):
        from commerce.orders import erasure, owners, purchases  # noqa: F401  (answer the catalog's and accounts' signals)
