from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "commerce.catalog"
    label = "catalog"

    def ready(self):
        from . import media  # noqa: F401  (an image's files go with its row: its post_delete receiver)
