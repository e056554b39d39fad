from django.apps import AppConfig


class GraphConfig(AppConfig):
    """The GraphQL layer: management commands (export_schema), and the realtime publisher, connected here so
    that every process that changes orders (web, worker, admin) pushes the change to subscribers."""

    name = "graph"

    def ready(self):
        from commerce.orders.signals import order_changed
        from graph.realtime.publisher import publish_order_change

        order_changed.connect(publish_order_change, dispatch_uid="graph.realtime.publish_order_change")
