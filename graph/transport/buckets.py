"""Leaky buckets of cost points, one per client, as Shopify's API meters its callers.

A bucket holds up to `maximum` points and refills at `rate` points a second. An operation takes its requested
cost up front (refused, with the seconds to wait, when the bucket holds less) and gives back what it did not
use once its actual cost is known. With Redis the bucket is one hash updated by a Lua script, so concurrent
requests in any number of processes can never spend the same points twice; Redis's own clock is used, so the
web processes' clocks do not matter. Without Redis (embedded mode, one process) the bucket lives in the local
memory cache under a lock.

The client is the signed-in user, else the caller's IP address (graph.core.context.Context.client_ip, which
reads X-Forwarded-For only as far as TRUSTED_PROXY_HOPS allows), an IPv6 caller by its /64, which one host
usually owns whole. A port written after an address is dropped.
"""
import ipaddress
import logging
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("graph.transport.buckets")

# KEYS[1]: the bucket. ARGV: maximum, rate (points/s), points to take (negative gives back), force (take even
# when short, never below zero). Returns {taken (1/0), available as a string (Lua numbers reach Redis as
# integers otherwise)}.
_LEAK = """
local maximum, rate, points, force = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'available', 'at')
local available, at = tonumber(state[1]), tonumber(state[2])
if available == nil then available, at = maximum, now end
available = math.min(maximum, available + math.max(0, now - at) * rate)
local taken = 0
if points <= available then
  available, taken = math.min(maximum, available - points), 1
elseif force then
  available = 0
end
redis.call('HSET', KEYS[1], 'available', tostring(available), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((maximum - available) / rate * 1000) + 1000)
return {taken, tostring(available)}
"""


@dataclass(frozen=True)
class Bucket:
    """A kind of bucket: each client has one of each."""

    name: str
    maximum: float
    rate: float  # points restored a second

    @property
    def enabled(self) -> bool:
        return self.maximum > 0 and self.rate > 0


def cost_bucket() -> Bucket:
    return Bucket("cost", settings.GRAPHQL_THROTTLE_MAXIMUM, settings.GRAPHQL_THROTTLE_RESTORE_RATE)


def auth_bucket() -> Bucket:
    return Bucket("auth", settings.AUTH_THROTTLE_MAXIMUM, settings.AUTH_THROTTLE_PER_MINUTE / 60)


@dataclass(frozen=True)
class Status:
    taken: bool
    available: float
    bucket: Bucket
    points: float

    @property
    def retry_after(self) -> int:
        """Whole seconds until the bucket holds the points asked for."""
        return max(1, math.ceil((self.points - self.available) / self.bucket.rate))

    def as_extension(self) -> dict:
        return {
            "maximumAvailable": self.bucket.maximum,
            "currentlyAvailable": math.floor(self.available),
            "restoreRate": self.bucket.rate,
        }


def take(bucket: Bucket, client: str, points: float, *, force: bool = False) -> Status | None:
    """Take `points` from the client's bucket (give back with a negative number); None when throttling is off.

    `force` takes what there is even when it is not enough (for operations refused anyway, which still cost).
    If Redis cannot be reached the request is let through and the failure logged: an outage of the throttle
    must not become an outage of the shop.
    """
    if not bucket.enabled:
        return None
    key = cache.make_key(f"throttle:{bucket.name}:{client}")
    try:
        if settings.REDIS_URL:
            taken, available = _redis_script()(keys=[key], args=[bucket.maximum, bucket.rate, points, int(force)])
        else:
            taken, available = _take_locally(key, bucket, points, force)
    except Exception:  # noqa: BLE001 - any failure of the store lets the request through
        logger.warning("Throttle store unavailable; letting the request through", exc_info=True)
        return None
    return Status(taken=bool(int(taken)), available=float(available), bucket=bucket, points=points)


_script = None
_script_lock = threading.Lock()


def _redis_script():
    """The registered Lua script on the cache's own Redis connection pool."""
    global _script
    with _script_lock:
        if _script is None:
            client = cache._cache.get_client(write=True)  # Django's RedisCache client: its redis.Redis
            _script = client.register_script(_LEAK)
        return _script


_local_lock = threading.Lock()


def _take_locally(key: str, bucket: Bucket, points: float, force: bool) -> tuple[int, float]:
    """The same arithmetic as the Lua script, in the local memory cache; the lock makes it atomic in-process."""
    with _local_lock:
        now = time.monotonic()
        available, at = cache.get(key) or (bucket.maximum, now)
        available = min(bucket.maximum, available + max(0.0, now - at) * bucket.rate)
        taken = points <= available
        if taken:
            available = min(bucket.maximum, available - points)
        elif force:
            available = 0.0
        cache.set(key, (available, now), timeout=(bucket.maximum - available) / bucket.rate + 1)
        return int(taken), available


# --- Who the client is


def client_of(context, *, signed_in: bool = True) -> str:
    """The bucket key of the caller in `context` (graph.core.context): the signed-in user, else (or when
    `signed_in` is False) the address."""
    if signed_in and context.viewer is not None:
        return f"user:{context.viewer.pk}"
    return address_client(context.client_ip)


def address_client(address: str) -> str:
    """The bucket key of an anonymous caller at `address`: the API's, so pages that answer guesses (the order-tracking
    page) draw on the same bucket as the API's operations do."""
    return f"ip:{network(address)}"


def network(address: str) -> str:
    """The part of an address one client owns: the IP, an IPv6 one by its /64."""
    try:
        ip = ipaddress.ip_address(_without_port(address))
    except ValueError:
        return address[:64]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _without_port(address: str) -> str:
    """`203.0.113.9:4711` and `[2001:db8::1]:443`, as some proxies write them, without the port (which changes
    with every connection, so each would be a bucket of its own)."""
    if address.startswith("["):
        return address[1:].partition("]")[0]
    host, colon, port = address.rpartition(":")
    return host if colon and "." in host and port.isdigit() else address
