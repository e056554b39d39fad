from django.contrib import admin
from django.urls import path

from graph.transport.views import graphql_view
from commerce.exports.views import download as export_download
from project import health, webhooks
from project.observability.view import metrics

urlpatterns = [
    path("admin/exports/download/<str:token>/", export_download, name="export_download"),  # before the admin's
    path("admin/", admin.site.urls),
    path("graphql/", graphql_view()),
    path("healthz", health.healthz),
    path("readyz", health.readyz),
    path("metrics", metrics),
    path("webhooks/<str:gateway>/", webhooks.gateway_webhook),
]
