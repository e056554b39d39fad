"""The files the server serves itself, in front of Django: static files, and uploaded media unless a bucket or the
proxy serves those.

ServeStatic, not WhiteNoise. WhiteNoise's Django middleware answers with a file response whose iterator is
synchronous, and Django's ASGI handler reads such an iterator whole into memory before sending a byte (3.5 MB for
GraphiQL's bundle, per request). ServeStatic is its ASGI-native fork: an ASGI app that streams files with
asynchronous reads. Put in front of Django (project/asgi.py), a static request takes no thread, no slot of
MAX_CONCURRENT_REQUESTS and no database connection. `collectstatic` (make run, the Dockerfile, tests/servers.py)
writes hashed names, which are served with a ten-year `immutable` Cache-Control, and gzip copies, which are served
to clients that accept them.
"""
import posixpath

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from servestatic import ServeStaticASGI
from servestatic.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed and compressed copies, leaving source-map comments alone.

    Django follows `sourceMappingURL` comments to hash the maps they name, and fails when a map is missing. The
    vendored GraphiQL bundles (graph/static/graphiql) name 6 MB of maps that are not shipped; left alone, their
    hashed copies keep the exact bytes that the integrity hashes in graph/templates/graph/graphiql.html check.
    """

    patterns = tuple(
        (extension, tuple(p for p in rules if "sourceMappingURL" not in str(p)))
        for extension, rules in ManifestStaticFilesStorage.patterns
    )


def serve_files(app):
    """`app` behind the static files and, when SERVE_MEDIA is on, the media; any other path goes on to `app`."""
    app = ServeStaticASGI(app, root=settings.STATIC_ROOT, prefix=settings.STATIC_URL)
    if settings.SERVE_MEDIA:
        app = _under(settings.MEDIA_URL, _media(), app, private=(settings.EXPORTS_PREFIX, settings.INVOICES_PREFIX))
    return app


def _media() -> ServeStaticASGI:
    """Uploads, looked up on each request (autorefresh: a new upload is there at once), never cached for long, and
    sandboxed: a file a customer or staff uploaded must not run as a page of this origin (an SVG or HTML file)."""

    def untrusted(headers, path, url):
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

    files = ServeStaticASGI(None, autorefresh=True, max_age=3600, add_headers_function=untrusted,
                            immutable_file_test=lambda path, url: False)
    files.add_files(settings.MEDIA_ROOT, prefix=settings.MEDIA_URL)
    return files


def _under(prefix: str, files, app, private: tuple[str, ...] = ()):
    """Media paths to `files` (a 404 when missing), others to `app`: only media requests pay for a lookup on disk.
    Paths under `private` folders (the exports' and the invoices', which only their signed download views serve) go
    to `app`, whose answer is a 404."""
    prefix = "/" + prefix.strip("/") + "/"
    hidden = tuple(prefix + folder.strip("/") + "/" for folder in private if folder.strip("/"))

    async def route(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(prefix) and not (
                hidden and posixpath.normpath(scope["path"]).startswith(hidden)):
            return await files(scope, receive, send)
        return await app(scope, receive, send)

    return route
