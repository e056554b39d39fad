from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "commerce.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from commerce.audit import erasure  # noqa: F401  (redacts what entries hold of a deleted account)
