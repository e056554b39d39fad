from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "commerce.orders"
    label = "orders"

    def ready(self):
        from commerce.orders import purchases  # noqa: F401  (answers the catalog's questions)
        from commerce.orders import erasure  # noqa: F401  (erases what it holds of a deleted account)
