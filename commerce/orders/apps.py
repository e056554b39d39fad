from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "commerce.orders"
    label = "orders"

    def ready(self):
        from commerce.orders import purchases  # noqa: F401  (answers the catalog's questions)
