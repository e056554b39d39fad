from django.contrib import admin
from django.urls import path

from graph.transport.views import graphql_view
from commerce.exports.views import download as export_download
from commerce.invoices.views import download as invoice_download
from project import health, tracking, webhooks
from project.observability.view import metrics

urlpatterns = [
    path("admin/exports/download/<str:token>/", export_download, name="export_download"),  # before the admin's
    path("admin/", admin.site.urls),
    path("graphql/", graphql_view()),
    path("invoices/<str:token>/", invoice_download, name="invoice_download"),
    path("healthz", health.healthz),
    path("readyz", health.readyz),
    path("metrics", metrics),
    path("webhooks/shipments/", webhooks.shipment_webhook),  # before the gateways': not a payment provider
    path("webhooks/<str:gateway>/", webhooks.gateway_webhook),
    path("orders/<str:token>/", tracking.order_page, name="order_tracking"),
]
