from django.apps import AppConfig


class GraphConfig(AppConfig):
    """The GraphQL layer is an app only so that it can carry management commands (export_schema)."""

    name = "graph"
