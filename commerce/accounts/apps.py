from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "commerce.accounts"
    label = "accounts"

    def ready(self):
        from django.db.models.signals import post_save

        from commerce.accounts import social  # noqa: F401  (forgets social links when an account is erased)
        from commerce.accounts.models import User
        from commerce.accounts.tokens import end_sockets_of_changed_users

        post_save.connect(end_sockets_of_changed_users, sender=User, dispatch_uid="accounts.end_sockets")
