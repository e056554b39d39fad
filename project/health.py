"""Liveness and readiness probes for load balancers and orchestrators."""
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """The process is up and serving; checks nothing else, so it stays cheap."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


@require_GET
def readyz(request):
    """Every backing service is reachable; 503 naming what is down, so traffic goes elsewhere meanwhile."""
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        # One Redis serves the cache, the channel layer and (from the jobs issue on) the broker.
        checks["redis"] = _check_redis
    results = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the kind is reported
            results[name] = f"down: {type(exc).__name__}"
        else:
            results[name] = "ok"
    down = sorted(name for name, state in results.items() if state != "ok")
    return JsonResponse(
        {"status": "ok" if not down else "unavailable", "down": down, "checks": results},
        status=503 if down else 200,
    )
