"""The ASGI entry point daphne serves: HTTP through project.gate to Django (middleware, CORS, admin), websockets to
GraphQL."""
import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django_asgi_app = get_asgi_application()  # before importing anything that touches models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import re_path  # noqa: E402

from graph.transport.consumers import GraphQLWebsocketConsumer  # noqa: E402
from graph.transport.socket_caps import SocketCaps  # noqa: E402
from project.database import limit_statement_time  # noqa: E402
from project.files import serve_files  # noqa: E402
from project.gate import Gate  # noqa: E402
from project.observability import metrics, tracing  # noqa: E402
from project.threads import RequestThreads  # noqa: E402

if settings.STARTUP_CHECKS:
    from project import checks

    checks.enforce()  # DEBUG off: a server with an unsafe configuration refuses to start

limit_statement_time()  # web requests only: jobs (even embedded ones) and migrations run without it

# Request ids and the body cap, then static files and media, then Django on a fixed set of threads that keep their
# database connections (project.threads); all of it in a span when tracing is on, and measured (project.observability).
http = tracing.traced_http(Gate(serve_files(RequestThreads(django_asgi_app, settings.MAX_CONCURRENT_REQUESTS))))
application = metrics.Measured(ProtocolTypeRouter(
    {
        "http": http,
        # The caps on sockets per address and per user (graph.transport.socket_caps), then GraphQL.
        "websocket": SocketCaps(URLRouter([re_path(r"^graphql/?$", GraphQLWebsocketConsumer.as_asgi())])),
    }
))


def _calm_the_collector() -> None:
    """Keep Python's cyclic garbage collector from pausing the server for hundreds of milliseconds.

    bench/realtime.py found full collections of 150 to 700 ms while a crowd of sockets connected: each one walks
    every object in the process, most of them the modules, models and schema loaded at start-up, which live as
    long as the process. Freezing those moves them out of the collector's sight, and a higher first threshold
    makes collections rarer (the live feed allocates a burst of short-lived objects per delivery).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(settings.GC_THRESHOLD, *gc.get_threshold()[1:])


_calm_the_collector()  # before the jobs' threads start: freeze what start-up loaded, not what they allocate

if settings.JOBS_EMBEDDED:  # no broker to share: this server process runs the jobs and the schedule itself
    from tasks import embedded

    embedded.start()
