"""Apollo's automatic persisted queries, and an allow-list mode built on them.

A client sends `extensions.persistedQuery {version: 1, sha256Hash}` without the query; if the server knows the
hash it runs that document, else it answers PERSISTED_QUERY_NOT_FOUND (message "PersistedQueryNotFound", which
Apollo's link looks for) and the client sends the query with its hash once, which registers it. So a
storefront can send hashes over GET, and a CDN can cache anonymous catalog answers by URL. A query sent with a
hash that is not its SHA-256 is refused (nothing is registered under a hash someone else chose). Documents are
registered only after they ran, so refused junk does not fill the store; they live in the cache (Redis in
production) for GRAPHQL_APQ_TTL_SECONDS.

A manifest file (GRAPHQL_PERSISTED_QUERIES_MANIFEST, Apollo's `persisted-query-manifest.json`, written by
`generate-persisted-query-manifest` when the first-party apps are built) registers documents for good. With
GRAPHQL_PERSISTED_QUERIES_ONLY on, only the manifest's documents run, by hash or as text: the hardened mode
for a server that only first-party apps call. The view turns a hash into its document; the AllowList schema
extension then refuses any other document on every transport, websockets included.

Refusals in allow-list mode, as Apollo's persisted-query link reads them: a hash the manifest lacks is
PERSISTED_QUERY_NOT_FOUND "PersistedQueryNotFound", on which the link sends the text once (it retries at most
once per operation, and keeps sending hashes for the others); PERSISTED_QUERY_NOT_SUPPORTED would make it
stop hashing altogether, losing GET and the CDN for every registered operation. A text the manifest lacks is
PERSISTED_QUERY_NOT_FOUND with its own message, "Only registered operations run on this server.", which no
APQ client (Apollo's web link, iOS or Kotlin ones, which match the message) retries.
"""
import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData

from graph.core.errors import ApiError

NOT_REGISTERED = "Only registered operations run on this server."


class PersistedQueryError(ApiError):
    pass


class AllowList(SchemaExtension):
    """With GRAPHQL_PERSISTED_QUERIES_ONLY, a document that is not in the manifest is refused before it is
    parsed, whichever transport brought it (HTTP, where a hash has become its document, or a websocket)."""

    def on_parse(self):
        query = self.execution_context.query
        if settings.GRAPHQL_PERSISTED_QUERIES_ONLY and query is not None and _sha256(query) not in _manifest():
            raise PersistedQueryError(NOT_REGISTERED, code="PERSISTED_QUERY_NOT_FOUND")
        yield


def resolve(request_data: GraphQLRequestData) -> GraphQLRequestData:
    """The request with its document filled in from the store, or a PersistedQueryError."""
    persisted = (request_data.extensions or {}).get("persistedQuery")
    query = request_data.query
    if persisted is None:
        return request_data
    if not settings.GRAPHQL_APQ_ENABLED or not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryError("PersistedQueryNotSupported", code="PERSISTED_QUERY_NOT_SUPPORTED")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or len(sha256) != 64:
        raise PersistedQueryError("The persisted query's sha256Hash must be 64 hexadecimal digits.")
    sha256 = sha256.lower()
    if query is not None:
        if _sha256(query) != sha256:
            raise PersistedQueryError("The persisted query's sha256Hash is not the hash of its query.")
        return request_data
    stored = _manifest().get(sha256)
    if stored is None and not settings.GRAPHQL_PERSISTED_QUERIES_ONLY:
        stored = cache.get(_key(sha256))
    if stored is None:
        raise PersistedQueryError("PersistedQueryNotFound", code="PERSISTED_QUERY_NOT_FOUND")
    request_data.query = stored
    return request_data


def remember(request_data: GraphQLRequestData, ran: bool) -> None:
    """Register a document sent with its hash, once it has run. It lives GRAPHQL_APQ_TTL from then: hits by
    hash do not write it again (a busy catalog query would be rewritten to Redis on every request)."""
    persisted = (request_data.extensions or {}).get("persistedQuery")
    if ran and isinstance(persisted, dict) and request_data.query is not None:
        sha256 = str(persisted.get("sha256Hash", "")).lower()
        if sha256 not in _manifest():
            cache.set(_key(sha256), request_data.query, timeout=settings.GRAPHQL_APQ_TTL.total_seconds())


def _key(sha256: str) -> str:
    return f"apq:{sha256}"


def _sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


@lru_cache(maxsize=4)
def _load_manifest(path: str) -> dict[str, str]:
    """Apollo's manifest format: {"format": "apollo-persisted-query-manifest", "version": 1, "operations":
    [{"id": sha256, "body": document, "name": ..., "type": ...}]}; each id is checked against its body."""
    with open(path, encoding="utf-8") as file:
        operations = json.load(file).get("operations", [])
    manifest = {}
    for operation in operations:
        body = operation["body"]
        if operation.get("id", "").lower() != _sha256(body):
            raise ValueError(f"{path}: the id of operation {operation.get('name')!r} is not the SHA-256 of its body")
        manifest[_sha256(body)] = body
    return manifest


def _manifest() -> dict[str, str]:
    path = settings.GRAPHQL_PERSISTED_QUERIES_MANIFEST
    return _load_manifest(path) if path else {}


def manifest_names() -> frozenset[str]:
    """The operation names the manifest registers: a bounded set, so metrics may label by them
    (graph.transport.observed)."""
    path = settings.GRAPHQL_PERSISTED_QUERIES_MANIFEST
    if not path:
        return frozenset()
    with open(path, encoding="utf-8") as file:
        return frozenset(operation["name"] for operation in json.load(file).get("operations", [])
                         if operation.get("name"))
