from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "commerce.carts"
    label = "carts"

    def ready(self):
        from commerce.carts import erasure  # noqa: F401  (erases what it holds of a deleted account)
