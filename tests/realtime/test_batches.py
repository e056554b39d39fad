"""The batching behind live delivery: what one subscription asks for while a fetch runs goes into the next
fetch with everything else asked meanwhile, each key once, and a failed fetch fails only its own batch."""
import asyncio
import threading

import pytest

from graph.realtime.batches import BatchLoader


class Store:
    """A stand-in database: answers doubled keys, records each fetch, and can be held mid-fetch."""

    def __init__(self, fail_first: bool = False):
        self.fetches: list[list[int]] = []
        self.release = threading.Event()
        self.fail_first = fail_first

    def fetch(self, keys: list[int]) -> dict[int, int]:
        self.fetches.append(sorted(keys))
        self.release.wait(5)
        if self.fail_first and len(self.fetches) == 1:
            raise ConnectionError("database went away")
        return {key: key * 2 for key in keys if key != 404}


async def _load_during_first_fetch(loader: BatchLoader, store: Store, later: list[int]):
    first = asyncio.create_task(loader.load(1))
    while not store.fetches:  # the first fetch is running (and held)
        await asyncio.sleep(0.001)
    rest = [asyncio.create_task(loader.load(key)) for key in later]
    await asyncio.sleep(0.01)
    store.release.set()
    return await asyncio.gather(first, *rest, return_exceptions=True)


def test_loads_made_during_a_fetch_share_the_next_one_and_each_key_is_fetched_once():
    store = Store()
    results = asyncio.run(_load_during_first_fetch(BatchLoader(store.fetch), store, [2, 3, 3, 404]))

    assert results == [2, 4, 6, 6, None]  # a key the fetch does not answer loads None
    assert store.fetches == [[1], [2, 3, 404]]


def test_a_failed_fetch_fails_its_own_batch_and_the_next_batch_is_fetched_again():
    store = Store(fail_first=True)
    loader = BatchLoader(store.fetch)
    results = asyncio.run(_load_during_first_fetch(loader, store, [2]))

    assert isinstance(results[0], ConnectionError)
    assert results[1] == 4
    assert asyncio.run(loader.load(5)) == 10  # the loader keeps working, on a new event loop too


@pytest.mark.parametrize("waiters", [1, 50])
def test_a_cancelled_waiter_does_not_stop_the_others(waiters):
    store = Store()
    store.release.set()
    loader = BatchLoader(store.fetch)

    async def scenario():
        tasks = [asyncio.create_task(loader.load(7)) for _ in range(waiters + 1)]
        await asyncio.sleep(0)
        tasks[0].cancel()  # a subscriber that left mid-fetch
        return await asyncio.gather(*tasks[1:])

    assert asyncio.run(scenario()) == [14] * waiters

