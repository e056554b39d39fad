"""Batched loading shared by every subscription of a process.

Why: a change fans out to many sockets at once (an order's screens, its owner's feed, every staff feed), and a
burst of changes arrives faster than one database round trip per delivery can follow: Django's ORM runs on one
sync thread per process, so loads made one by one queue behind each other and delivery falls behind the
commits. Here every load asked for while a fetch is running waits for the next fetch, which takes them all in
one query: under load the batches grow instead of the queue, and a key asked for by several subscriptions is
fetched once.

Unlike a per-request DataLoader this one outlives requests and caches nothing between fetches: what it returns
is as fresh as the fetch that answered it.
"""
import asyncio
import weakref
from collections.abc import Callable, Hashable, Iterable

from asgiref.sync import sync_to_async


class BatchLoader:
    def __init__(self, fetch: Callable[[list], dict]):
        """`fetch(keys)` runs on Django's sync thread and returns {key: value}; a key it leaves out loads None."""
        self._fetch = sync_to_async(fetch)
        self._state: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # per event loop: futures belong to one

    async def load(self, key: Hashable):
        loop = asyncio.get_running_loop()
        state = self._state.get(loop)
        if state is None:
            state = self._state[loop] = _LoopState()
        future = loop.create_future()
        state.waiting.setdefault(key, []).append(future)
        if state.fetching is None or state.fetching.done():
            state.fetching = loop.create_task(self._drain(state))
        return await future

    async def _drain(self, state: "_LoopState") -> None:
        """Fetch what is waiting, then what arrived meanwhile, until nothing is."""
        while state.waiting:
            batch, state.waiting = state.waiting, {}
            try:
                found = await self._fetch(list(batch))
            except Exception as error:  # every waiter hears it; the next batch tries again
                _settle(batch.items(), lambda future, key, error=error: future.set_exception(error))
            else:
                _settle(batch.items(), lambda future, key: future.set_result(found.get(key)))


class _LoopState:
    def __init__(self):
        self.waiting: dict[Hashable, list[asyncio.Future]] = {}
        self.fetching: asyncio.Task | None = None


def _settle(batch: Iterable, settle: Callable) -> None:
    for key, futures in batch:
        for future in futures:
            if not future.done():  # its subscription may have been cancelled meanwhile
                settle(future, key)
