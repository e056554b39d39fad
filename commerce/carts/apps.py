from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "commerce.carts"
    label = "carts"

    def ready(self):
        from commerce.carts import receivers  # noqa: F401  (keeps carts in line with the catalog's changes)
