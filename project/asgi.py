"""The ASGI entry point daphne serves: HTTP through Django (middleware, CORS, admin), websockets to GraphQL."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django_asgi_app = get_asgi_application()  # before importing anything that touches models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from django.conf import settings  # noqa: E402

from graph.consumers import GraphQLWebsocketConsumer  # noqa: E402
from project.database import limit_statement_time  # noqa: E402

limit_statement_time()  # web requests only: jobs and migrations do not import this module

if settings.JOBS_EMBEDDED:  # no broker to share: this server process runs the jobs and the schedule itself
    from tasks import embedded

    embedded.start()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([re_path(r"^graphql/?$", GraphQLWebsocketConsumer.as_asgi())]),
    }
)
