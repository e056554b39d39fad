from django.apps import AppConfig


class GraphConfig(AppConfig):
    """The GraphQL layer: management commands (export_schema), and the realtime publisher, connected here so
    that every process that changes orders (web, worker, admin) pushes the change to subscribers, and the response
    cache's invalidation, connected here so that every process that writes the catalog (the sales job's worker too)
    drops the cached answers it made stale, and ended sign-ins, so that every process closes their sockets."""

    name = "graph"

    def ready(self):
        from commerce.accounts.signals import sign_ins_ended
        from commerce.changes import storefront_changed
        from commerce.orders.signals import order_changed
        from graph.realtime.publisher import publish_order_change
        from graph.transport.response_cache import drop_cached_answers
        from graph.transport.sign_ins import publish as publish_sign_ins_ended

        order_changed.connect(publish_order_change, dispatch_uid="graph.realtime.publish_order_change")
        storefront_changed.connect(drop_cached_answers, dispatch_uid="graph.transport.drop_cached_answers")
        sign_ins_ended.connect(publish_sign_ins_ended, dispatch_uid="graph.transport.sign_ins.publish")
