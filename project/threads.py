"""A fixed set of request threads per server process, each keeping its own database connection.

Why: Django's ASGI handler runs each request's sync code (middleware, views, the GraphQL view) in a thread made
for that request (`ThreadSensitiveContext()` with a new one-thread executor), and a database connection belongs
to the thread that opened it. So every request opened a PostgreSQL connection; and with CONN_MAX_AGE > 0 the
connection outlived its thread, open and idle until the garbage collector happened to finalize it. Under load
those idle leftovers filled PostgreSQL's `max_connections` (100 here) and requests failed with "too many clients
already": bench/catalog.py's 362 failures at 16 clients.

Here each HTTP request borrows one of MAX_CONCURRENT_REQUESTS one-thread executors and enters asgiref's
`ThreadSensitiveContext(executor=...)` with it before Django does (the outermost context wins, so Django's own
runs the request there). The thread, and so its connection, serves request after request: CONN_MAX_AGE keeps
it open (CONN_HEALTH_CHECKS replaces a dead one), HTTP requests hold at most MAX_CONCURRENT_REQUESTS connections
per process (websockets and embedded job threads have their own few), and requests beyond that wait here, on the
event loop, without a thread. A request's sync work still runs on
one thread from its start to its end, which is all thread-sensitive code asks for.

`/healthz` skips the queue (it answers even when every thread is busy) and touches no database.

The threads are daemons (a ThreadPoolExecutor's are joined at exit): a request stopped at shutdown can leave its
thread waiting for the event loop that has stopped, and the process must still exit.
"""
import asyncio
import queue
import threading
from concurrent.futures import Executor, Future

from asgiref.sync import ThreadSensitiveContext

UNQUEUED_PATHS = frozenset({"/healthz"})


class RequestThreads:
    def __init__(self, app, size: int):
        self.app = app
        self.size = size
        # Last in, first out: the thread that finished last serves next, so a quiet process keeps as many
        # connections open as it has requests at once, not one per thread it ever used.
        self._idle: asyncio.LifoQueue | None = None  # made on first use, inside the server's event loop

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.size <= 0 or scope["path"] in UNQUEUED_PATHS:
            return await self.app(scope, receive, send)
        idle = self._queue()
        executor = await idle.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        finally:
            # Were the request cancelled while its thread still ran, the next one queues behind it on the
            # same thread: a thread never runs two requests at once.
            idle.put_nowait(executor)

    def _queue(self) -> asyncio.LifoQueue:
        if self._idle is None:
            self._idle = asyncio.LifoQueue()
            for number in range(self.size):
                self._idle.put_nowait(RequestThread(f"request-{number}"))
        return self._idle


class RequestThread(Executor):
    """One daemon thread running what is submitted, in order: the one-thread executor asgiref asks for."""

    def __init__(self, name: str):
        self._work = queue.SimpleQueue()
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = Future()
        self._work.put((future, fn, args, kwargs))
        return future

    def _run(self) -> None:
        while True:
            future, fn, args, kwargs = self._work.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever awaits the future
                future.set_exception(exc)
            else:
                future.set_result(result)
