from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "commerce.catalog"
    label = "catalog"

    def ready(self):
        from commerce import changes

        from . import media  # noqa: F401  (an image's files go with its row: its post_delete receiver)

        # Everything the storefront reads of the catalog (its many-to-many tables too); a wish list is its owner's.
        changes.watch(*(model for model in self.get_models(include_auto_created=True)
                        if model.__name__ != "WishlistItem"))
