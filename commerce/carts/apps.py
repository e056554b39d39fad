from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "commerce.carts"
    label = "carts"
