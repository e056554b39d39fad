"""How many websockets one client may hold, and how fast it may open them.

1,500 sockets from one address stalled a plain query to 7-10 s: nothing capped them. Now:

- Per address (the IP, or the X-Forwarded-For entry TRUSTED_PROXY_HOPS trusts; an IPv6 caller by its /64, as
  graph.transport.buckets keys its buckets): at most GRAPHQL_WS_MAX_SOCKETS_PER_IP open at once, and opening
  one takes a point from the address's `sockets` bucket (GRAPHQL_WS_CONNECT_BURST points, refilled at
  GRAPHQL_WS_CONNECTS_PER_SECOND). Either refused, the handshake is refused (HTTP 403, before the consumer, the
  channel layer or the schema are touched: a refusal costs the server one Redis round trip).
- Per user: at most GRAPHQL_WS_MAX_SOCKETS_PER_USER signed in at once; one more is closed at `connection_init`
  with 1013 (Try Again Later), which graphql-ws clients retry with a growing back-off.
- GRAPHQL_WS_UNCAPPED_NETWORKS (CIDRs) are exempt from all three: a benchmark's clients on 127.0.0.1
  (bench.UNMETERED), an office's known address.

With REDIS_URL the open sockets are counted across processes: one sorted set per client in Redis, a member per
socket scored with when it lapses; a process renews its members every RENEW_SECONDS and removes them as its
sockets close, so a process that dies leaves its count for SLOT_SECONDS at most. Without Redis (embedded, one
process) the counts live in the process. A Redis that cannot be reached lets the socket through, logged, as the
throttle does.
"""
import asyncio
import ipaddress
import itertools
import logging
import os
import time
from collections import defaultdict
from functools import lru_cache

from asgiref.sync import sync_to_async
from django.conf import settings

from commerce.accounts.throttle import client_address
from graph.transport import buckets

logger = logging.getLogger("graph.transport.socket_caps")

SLOT_SECONDS = 60
RENEW_SECONDS = 20

# KEYS[1]: the client's sorted set. ARGV: maximum, member, lifetime (ms). 1 if the member was added.
_ACQUIRE = """
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""
# KEYS: sorted sets; ARGV[1]: lifetime (ms), then each key's members joined by spaces.
_RENEW = """
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for i, key in ipairs(KEYS) do
  for member in string.gmatch(ARGV[i + 1], '%S+') do
    redis.call('ZADD', key, 'XX', now + tonumber(ARGV[1]), member)
  end
  redis.call('PEXPIRE', key, tonumber(ARGV[1]))
end
return 1
"""


def connect_bucket() -> buckets.Bucket:
    return buckets.Bucket("sockets", settings.GRAPHQL_WS_CONNECT_BURST, settings.GRAPHQL_WS_CONNECTS_PER_SECOND)


@lru_cache(maxsize=1)
def _uncapped(networks: tuple[str, ...]):
    return [ipaddress.ip_network(network, strict=False) for network in networks]


def uncapped(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _uncapped(tuple(settings.GRAPHQL_WS_UNCAPPED_NETWORKS)))


class Slots:
    """The open sockets of each client key (`ip:…`, `user:…`) this process holds, counted in Redis or here."""

    def __init__(self):
        self.held: dict[str, set[str]] = defaultdict(set)
        self._ids = itertools.count()
        self._prefix = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._redis = None
        self._loop = None
        self._renewing = None

    async def acquire(self, client: str, maximum: int) -> str | None:
        """A slot of `client`'s (its member id), or None when it holds `maximum` already."""
        member = f"{self._prefix}-{next(self._ids)}"
        if settings.REDIS_URL:
            try:
                taken = await self._script(_ACQUIRE)(keys=[self._key(client)],
                                                     args=[maximum, member, SLOT_SECONDS * 1000])
            except Exception:  # noqa: BLE001 - the count's store away must not take the sockets with it
                logger.warning("Socket counts unavailable; letting the socket through", exc_info=True)
                taken = 1
            if not int(taken):
                return None
            self._start_renewing()
        elif len(self.held[client]) >= maximum:
            return None
        self.held[client].add(member)
        return member

    async def release(self, client: str, member: str) -> None:
        members = self.held.get(client)
        if members is None or member not in members:
            return
        members.discard(member)
        if not members:
            del self.held[client]
        if settings.REDIS_URL:
            try:
                await self._client().zrem(self._key(client), member)
            except Exception:  # noqa: BLE001 - it lapses by itself within SLOT_SECONDS
                logger.warning("Could not release a socket's count", exc_info=True)

    def _key(self, client: str) -> str:
        return f"{settings.REDIS_KEY_PREFIX}:sockets:{client}"

    def _client(self):
        """An asyncio Redis client of the running loop (the server has one loop; a test may run several)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            from redis.asyncio import Redis

            self._loop, self._redis = loop, Redis.from_url(settings.REDIS_URL)
        return self._redis

    def _script(self, source: str):
        return self._client().register_script(source)

    def _start_renewing(self) -> None:
        if self._renewing is None or self._renewing.done():
            self._renewing = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        while self.held:
            await asyncio.sleep(RENEW_SECONDS)
            held = [(client, " ".join(members)) for client, members in list(self.held.items()) if members]
            try:
                for start in range(0, len(held), 500):
                    chunk = held[start:start + 500]
                    await self._script(_RENEW)(keys=[self._key(client) for client, _ in chunk],
                                               args=[SLOT_SECONDS * 1000, *(members for _, members in chunk)])
            except Exception:  # noqa: BLE001 - tried again at the next turn
                logger.warning("Could not renew the sockets' counts", exc_info=True)


slots = Slots()


class Held:
    """The slots one socket holds, released together when it ends (put in its ASGI scope)."""

    def __init__(self):
        self.slots: list[tuple[str, str]] = []
        self.uncapped = False

    async def take_user(self, user_id: int) -> bool:
        """A slot of the signed-in user's; False when they hold GRAPHQL_WS_MAX_SOCKETS_PER_USER already."""
        maximum = settings.GRAPHQL_WS_MAX_SOCKETS_PER_USER
        if self.uncapped or maximum <= 0:
            return True
        return await self._take(f"user:{user_id}", maximum)

    async def _take(self, client: str, maximum: int) -> bool:
        member = await slots.acquire(client, maximum)
        if member is not None:
            self.slots.append((client, member))
        return member is not None

    async def release(self) -> None:
        for client, member in self.slots:
            await slots.release(client, member)
        self.slots = []


# Addresses (bucket keys) refused a socket a moment ago, and until when their next handshakes are refused from
# memory: a flooding client retries at once, and those retries then cost the process no thread and no round trip.
# project.serve asks `refused_recently` before daphne builds anything for the handshake.
REMEMBER_REFUSAL = 1.0
_refused_until: dict[str, float] = {}


def refused_recently(peer: str | None, forwarded_for: str | None) -> bool:
    client = _client_key(client_address(peer, forwarded_for))
    return client is not None and _refused_until.get(client, 0) > time.monotonic()


def _remember_refusal(client: str) -> None:
    now = time.monotonic()
    if len(_refused_until) > 10_000:
        for key in [key for key, until in _refused_until.items() if until <= now]:
            del _refused_until[key]
    _refused_until[client] = now + REMEMBER_REFUSAL


def _client_key(address: str) -> str | None:
    """The address's bucket key, None for an exempt one."""
    return None if uncapped(address) else f"ip:{buckets.network(address)}"


class SocketCaps:
    """ASGI middleware in front of the websocket consumer: the address's caps at the handshake, the slots
    released when the socket's application ends. A process shutting down (project.serve) refuses new sockets."""

    draining = False  # set by project.serve on SIGTERM

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        held = Held()
        if SocketCaps.draining or not await self._admit(scope, held):
            await held.release()
            await receive()  # websocket.connect
            await send({"type": "websocket.close"})  # before accepting: daphne answers 403
            return
        try:
            await self.app({**scope, "socket_slots": held}, receive, send)
        finally:
            await held.release()

    async def _admit(self, scope, held: Held) -> bool:
        headers = dict(scope.get("headers") or ())
        forwarded = headers.get(b"x-forwarded-for")
        address = client_address((scope.get("client") or (None,))[0],
                                 forwarded.decode("latin1") if forwarded else None)
        client = _client_key(address)
        if client is None:
            held.uncapped = True
            return True
        if _refused_until.get(client, 0) > time.monotonic():
            return False
        if not await self._within_caps(client, held):
            _remember_refusal(client)
            return False
        return True

    async def _within_caps(self, client: str, held: Held) -> bool:
        bucket = connect_bucket()
        if bucket.enabled:
            status = await sync_to_async(buckets.take, thread_sensitive=False)(bucket, client, 1)
            if status is not None and not status.taken:
                return False
        maximum = settings.GRAPHQL_WS_MAX_SOCKETS_PER_IP
        return maximum <= 0 or await held._take(client, maximum)
