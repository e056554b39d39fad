"""The Redis channel layer, configured to hold up under a crowd of sockets.

Two things bench/realtime.py found with the stock layer on redis-py 8:
- Its pool allows 100 connections and raises "Too many connections" beyond: when a crowd of tracking screens
  subscribed at once, every join past the hundredth failed, and the consumer with its socket. Here the group
  operations (join, leave, send) wait for one of CHANNEL_LAYER_CONCURRENCY slots per event loop, so a burst
  queues instead of opening a connection per caller; the pool (1,000) stays well above that. (A blocking pool
  deadlocked at its limit instead: receives hold a connection while others wait for one.)
- redis-py 8 reads with a 5 s socket timeout by default, the same 5 s that channels_redis blocks in BZPOPMIN
  waiting for a message: under load the read outlived the timeout, the receive raised, and the consumer, with
  its socket, died. Reads here may take the blocking time plus a margin.
- All the sockets of one process share one message queue in Redis, which stock channels_redis caps at 100 and
  drops beyond, silently: a busy process that fell a second behind a burst lost changes. The capacity is a
  setting (CHANNEL_LAYER_CAPACITY, 100,000 by default); messages still expire after a minute.
"""
import asyncio
import weakref

from channels_redis.core import RedisChannelLayer
from redis.asyncio import ConnectionPool


class CrowdRedisChannelLayer(RedisChannelLayer):
    def __init__(self, *args, pool_size: int = 1000, concurrency: int = 100, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool_size = pool_size
        self.concurrency = concurrency
        self._slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _slot(self) -> asyncio.Semaphore:
        """The slots of the running loop (an asyncio semaphore belongs to one loop; async_to_sync makes others)."""
        loop = asyncio.get_running_loop()
        if loop not in self._slots:
            self._slots[loop] = asyncio.Semaphore(self.concurrency)
        return self._slots[loop]

    async def group_add(self, group, channel):
        async with self._slot():
            return await super().group_add(group, channel)

    async def group_discard(self, group, channel):
        async with self._slot():
            return await super().group_discard(group, channel)

    async def group_send(self, group, message):
        async with self._slot():
            return await super().group_send(group, message)

    def create_pool(self, index):
        host = dict(self.hosts[index])
        host.setdefault("socket_timeout", self.brpop_timeout + 10)
        return ConnectionPool.from_url(host.pop("address"), max_connections=self.pool_size, **host)
