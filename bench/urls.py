"""The project's URLs plus the benchmark's plain-Django baseline; served when ROOT_URLCONF=bench.urls."""
from django.urls import path

from bench import plain_view
from project.urls import urlpatterns as base

urlpatterns = [*base, path("bench/plain-products/", plain_view.products_page)]
