"""One shared cache of the answers anonymous callers get for public queries: the same catalog page is run once.

What is cached: an HTTP query (POST or GET, persisted or not) by a caller without an Authorization header, whose
root fields are all public (graph.transport.caching.PUBLIC_FIELDS: what every anonymous caller sees alike), that
came back without errors and under RESPONSE_CACHE_MAX_ENTRY_BYTES. Its key is the printed document (so spacing
and comments do not matter), the operation name, the variables, the scheme and host (media URLs are absolute),
and the release (this code and these settings, `_build`). Nothing else of the caller
is read by public fields for an anonymous caller (no language, currency or address), so nothing else is in the
key. Entries live in Django's cache: Redis in
production, shared by every process, local memory in embedded mode (one process only).

Never stale: every write to a table the storefront reads (commerce.changes) is announced after its commit, and
the announcement bumps the version, a counter in the same cache. Each entry holds the version it was stored under,
and a request reads the current version with the entry (one round trip) before it runs, so after a bump no
request takes an entry stored before it. A miss that read its data before a commit and finishes after it stores
its answer only if the version is still the one it read (and even then marked with that version, which no later
request takes). The writer's own request bumps the version before its answer
returns, so whoever hears of a write reads after it. One version for the whole storefront rather than a tag per
entity: a checkout or a price change drops every cached page, not only those holding that product; hit rate
traded for a scheme that cannot miss a page a write made stale (a new product joining a filtered list, a category
move changing a product's breadcrumbs, a review moving an average). The version counter never expires; if it is
evicted, it starts again from the clock in nanoseconds, above any value it held before.

A HIT is metered like a run (graph.transport.metering: it costs its points and says so), and every answer the
cache was asked about says `extensions.cache: HIT|MISS`. Within a process one request runs a given key at a time
(single-flight); the others wait for it up to RESPONSE_CACHE_WAIT_SECONDS, then read its answer.
"""
import hashlib
import json
import logging
import threading
import time
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path, PurePath

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from graphql import ExecutionResult, OperationType, get_operation_ast, parse, print_ast
from strawberry.extensions import SchemaExtension

from commerce import changes
from graph.transport.caching import PUBLIC_FIELDS
from graph.transport.documents import root_fields
from project.observability.metrics import RESPONSE_CACHE

logger = logging.getLogger("graph.transport.response_cache")

VERSION_KEY = "response-cache:version"
ROOT = Path(__file__).resolve().parents[2]


class ResponseCache(SchemaExtension):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome = None

    def on_execute(self):
        key = self._key()
        if key is None:
            yield
            return
        try:  # the version and the entry in one round trip: a HIT costs the cache one read
            found = cache.get_many([VERSION_KEY, key])
            version = int(found[VERSION_KEY]) if VERSION_KEY in found else current_version()
        except Exception:  # a cache that is down: answer uncached
            logger.warning("Not caching this answer", exc_info=True)
            yield
            return
        cached = _answer(found.get(key), version)
        leader = False
        try:
            if cached is None:
                leader, flight = _flights.board(key)
                if not leader and flight.wait(settings.RESPONSE_CACHE_WAIT_SECONDS):
                    cached = _answer(_get(key), version)
            if cached is not None:
                self.outcome = "HIT"
                self.execution_context.result = ExecutionResult(data=json.loads(cached), errors=None)
                yield
                return
            self.outcome = "MISS"
            yield
            self._store(version, key)
        finally:
            if leader:
                _flights.land(key)

    def on_operation(self):
        yield
        if self.outcome:
            RESPONSE_CACHE.labels(self.outcome.lower()).inc()

    def get_results(self):
        return {"cache": self.outcome} if self.outcome else {}

    def _key(self) -> str | None:
        """The key of this operation's answer, or None when it is not to be cached. An entry holds the version it
        was stored under, and is an answer only while that is still the current one."""
        context = self.execution_context
        request = context.context.request
        if (not settings.RESPONSE_CACHE_ENABLED or context.result is not None or not hasattr(request, "META")
                or context.graphql_document is None or context.query is None):
            return None
        if request.headers.get("Authorization") or context.context.viewer is not None:
            return None
        operation = get_operation_ast(context.graphql_document, context.operation_name)
        if operation is None or operation.operation != OperationType.QUERY:
            return None
        if not root_fields(operation.selection_set, context.graphql_document) <= PUBLIC_FIELDS:
            return None
        if changes.uncommitted():  # this connection sees its own writes, which no one else may be shown
            return None
        try:
            origin = f"{request.scheme}://{request.get_host()}"
            variables = json.dumps(context.variables or {}, sort_keys=True, separators=(",", ":"), default=str)
        except Exception:  # a Host not allowed: answer uncached
            logger.warning("Not caching this answer", exc_info=True)
            return None
        material = "\n".join([_build(), _printed(context.query), context.operation_name or "", variables, origin])
        return f"response-cache:{hashlib.sha256(material.encode()).hexdigest()}"

    def _store(self, version: int, key: str) -> None:
        result = self.execution_context.result
        if result is None or result.errors or result.data is None:
            return
        try:
            payload = json.dumps(result.data, separators=(",", ":"))
        except (TypeError, ValueError):
            return
        if len(payload.encode()) > settings.RESPONSE_CACHE_MAX_ENTRY_BYTES:
            return
        try:
            if current_version() == version:  # else a write committed while this ran: its answer may be stale
                cache.set(key, f"{version}\n{payload}", timeout=settings.RESPONSE_CACHE_TTL_SECONDS)
        except Exception:
            logger.warning("Could not store a cached answer", exc_info=True)


def _answer(entry: str | None, version: int) -> str | None:
    """The answer an entry holds, if it was stored under `version` (else a write has committed since)."""
    if entry is None:
        return None
    stored, _, payload = entry.partition("\n")
    return payload if stored == str(version) else None


def _get(key: str) -> str | None:
    try:
        return cache.get(key)
    except Exception:
        logger.warning("Could not read a cached answer", exc_info=True)
        return None


def current_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version)


def drop_cached_answers(tables=frozenset(), **kwargs) -> None:
    """commerce.changes.storefront_changed's receiver: a new version, so no entry stored before is read again."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # never set, or evicted: a value above any it held
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)


@lru_cache(maxsize=1)
def _build() -> str:
    """What an answer depends on besides the data: this code and these settings (the shop's name, its gateways,
    page sizes). Processes of one release share entries; a process started with other code or settings (a
    rolling deploy, a changed environment variable) never reads another's. Settings that are not plain data count
    by their type only, so that no process-specific repr (an address in memory) keeps processes apart."""
    digest = hashlib.sha256()
    for folder in ("commerce", "graph"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            digest.update(path.read_bytes())
    values = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
    digest.update(json.dumps(values, sort_keys=True, default=_plain).encode())
    return digest.hexdigest()


def _plain(value):
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    if isinstance(value, (timedelta, Decimal, PurePath)):
        return str(value)
    return type(value).__qualname__


setting_changed.connect(lambda **kwargs: _build.cache_clear(), weak=False,
                        dispatch_uid="graph.transport.response_cache.build")


@lru_cache(maxsize=512)
def _printed(query: str) -> str:
    """The document as graphql-core prints it: the same for the same operations, however they were spaced."""
    return print_ast(parse(query))


class _Flights:
    """Keys being run in this process, each with the event its waiters wait on."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running: dict[str, threading.Event] = {}

    def board(self, key: str) -> tuple[bool, threading.Event]:
        """(True, event) for the first request of `key`, which must `land` it; (False, event) for the others."""
        with self._lock:
            event = self._running.get(key)
            if event is None:
                event = self._running[key] = threading.Event()
                return True, event
            return False, event

    def land(self, key: str) -> None:
        with self._lock:
            event = self._running.pop(key, None)
        if event is not None:
            event.set()


_flights = _Flights()
