from django.apps import AppConfig


class GraphConfig(AppConfig):
    """The GraphQL layer: management commands (export_schema), and the realtime publisher, connected here so
    that every process that changes orders (web, worker, admin) pushes the change to subscribers, and the response
    cache's invalidation, connected here so that every process that writes the catalog (the sales job's worker too)
    drops the cached answers it made stale, the renderer of webhook deliveries' data, which the worker asks for,
    and ended sign-ins, so that every process closes their sockets."""

    name = "graph"

    def ready(self):
        from commerce.accounts.signals import sign_ins_ended
        from commerce.changes import storefront_changed
        from commerce.orders.signals import order_changed
        from commerce.support.signals import ticket_changed
        from commerce.webhooks.signals import render_requested
        from graph.realtime.publisher import publish_order_change
        from graph.realtime.tickets import publish_ticket_change
        from graph.transport.response_cache import drop_cached_answers
        from graph.transport.sign_ins import publish as publish_sign_ins_ended
        from graph.webhooks import render_webhook_data

        order_changed.connect(publish_order_change, dispatch_uid="graph.realtime.publish_order_change")
        ticket_changed.connect(publish_ticket_change, dispatch_uid="graph.realtime.tickets.publish_ticket_change")
        storefront_changed.connect(drop_cached_answers, dispatch_uid="graph.transport.drop_cached_answers")
        render_requested.connect(render_webhook_data, dispatch_uid="graph.webhooks.render_webhook_data")
        sign_ins_ended.connect(publish_sign_ins_ended, dispatch_uid="graph.transport.sign_ins.publish")
