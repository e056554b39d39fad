from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "commerce.notifications"
    label = "notifications"

    def ready(self):
        from commerce.notifications import erasure  # noqa: F401  (erases what it holds of a deleted account)
