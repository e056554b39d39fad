from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin with the project's one admin site as `admin.site`, so every `@admin.register` and
    `admin.site.urls` use it (two-factor login now; the back-office dashboard extends the same class)."""

    default_site = "commerce.admin_site.CommerceAdminSite"

    def ready(self):
        super().ready()
        from project import checks  # noqa: F401 - registers the production checklist with `manage.py check --deploy`
