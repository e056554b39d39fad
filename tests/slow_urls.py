"""The project's URLs plus one slow page, for servers under a test that needs a request in flight (a graceful
shutdown must let it finish): served when ROOT_URLCONF=tests.slow_urls."""
import time

from django.http import HttpResponse
from django.urls import path

from project.urls import urlpatterns as base


def slow(request):
    time.sleep(float(request.GET.get("seconds", "2")))
    return HttpResponse("finished", content_type="text/plain")


urlpatterns = [*base, path("slow/", slow)]
