from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "commerce.accounts"
    label = "accounts"

    def ready(self):
        from commerce.accounts import social  # noqa: F401  (forgets social links when an account is erased)
