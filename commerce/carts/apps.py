from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "commerce.carts"
    label = "carts"

    def ready(self):
        from commerce import changes
        from commerce.carts import erasure, receivers  # noqa: F401  (keep carts in line with the catalog's changes
        #                                                     and erase what they hold of a deleted account)

        changes.watch(self.get_model("ShippingMethod"))  # `shippingMethods`, a public field
