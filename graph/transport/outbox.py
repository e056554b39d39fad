"""Every frame a socket sends goes through its outbox: a bounded queue, so one slow reader costs its own socket and
nothing else.

Why: daphne's ASGI `send` never waits. It hands the frame to Twisted, whose transport buffers whatever the kernel
will not take yet, without limit: a phone on a dead train connection would grow the server's memory with every
broadcast. Daphne gives the application no signal of that, but Twisted does to a registered producer: the
transport calls `pauseProducing` once its own buffer holds more than its `bufferSize` (64 KiB) and
`resumeProducing` when it has drained. The outbox registers itself as that producer on the socket's transport
(daphne's `send` is `partial(server.handle_reply, protocol)`, which is how it is found; it replaces the HTTP
channel the socket was upgraded from, which daphne leaves registered), writes straight through
while the transport takes frames, queues while it is paused, and when the queue holds REALTIME_SEND_QUEUE frames
and another comes, closes the socket with 1013 ("try again later"): graphql-ws reconnects on it (it gives up only
on 4xxx codes and a few others), and a resuming client picks up where it left off (`after`).

Under another server (or channels' test communicator) there is no transport to watch: frames are written
straight through, as before.
"""
import asyncio
import logging
from collections import deque
from functools import partial

from django.conf import settings

logger = logging.getLogger("graph.transport.outbox")

TRY_AGAIN_LATER = 1013  # RFC 6455 "Try Again Later": a close code clients reconnect on


class Outbox:
    def __init__(self, consumer, limit: int):
        self.consumer = consumer
        self.limit = limit
        self.queue: deque[str | bytes] = deque()
        self.paused = False
        self.overflowed = False
        self._draining: asyncio.Task | None = None
        self.protocol = _protocol_of(consumer.base_send)
        self.transport = getattr(self.protocol, "transport", None)
        if self.transport is None:
            self.protocol = None
        else:
            if getattr(self.transport, "producer", None) is not None:
                # The HTTP channel the socket was upgraded from is still registered, though it no longer speaks
                # on this connection: the outbox takes its place.
                self.transport.unregisterProducer()
            try:
                self.transport.registerProducer(self, True)
            except RuntimeError:  # no signal for us: write straight through
                self.transport = self.protocol = None

    async def send(self, frame: str | bytes) -> None:
        if self.overflowed:
            return
        if not self.paused and not self.queue:
            await self._write(frame)
            return
        if len(self.queue) >= self.limit:
            self.overflowed = True
            self.queue.clear()
            logger.warning("A socket fell %s frames behind; closing it with %s", self.limit, TRY_AGAIN_LATER)
            self._close_to_try_again()
            return
        self.queue.append(frame)

    async def _write(self, frame: str | bytes) -> None:
        key = "text" if isinstance(frame, str) else "bytes"
        try:
            await self.consumer.base_send({"type": "websocket.send", key: frame})
        except Exception as error:  # the socket is closing (daphne refuses frames then): drop what is left
            logger.info("A frame for a closing socket was dropped (%s)", error)
            self.stopProducing()

    async def _drain(self) -> None:
        while self.queue and not self.paused and not self.overflowed:
            await self._write(self.queue.popleft())

    # Twisted's IPushProducer, called on the event loop's thread by the transport
    def pauseProducing(self) -> None:
        self.paused = True

    def resumeProducing(self) -> None:
        self.paused = False
        if self.queue and (self._draining is None or self._draining.done()):
            self._draining = asyncio.get_running_loop().create_task(self._drain())

    def stopProducing(self) -> None:
        self.queue.clear()
        self.overflowed = True

    def _close_to_try_again(self) -> None:
        """A close frame with 1013, which autobahn's sendClose refuses to send (it allows applications 1000 and
        3000-4999 only) though RFC 6455's registry has it for this very case: the frame is sent as autobahn sends
        its own (1001, 1002...). It follows the frames already buffered, and the client answers it when it has
        read them."""
        self.protocol.sendCloseFrame(code=TRY_AGAIN_LATER, reasonUtf8=b"Too far behind: reconnect", isReply=False)

    def close(self) -> None:
        """The socket is gone: let go of the transport."""
        self.queue.clear()
        if self.transport is not None:
            try:
                self.transport.unregisterProducer()
            except Exception:  # already torn down
                pass
            self.transport = None


def outbox_of(consumer) -> Outbox:
    outbox = getattr(consumer, "_outbox", None)
    if outbox is None:
        outbox = consumer._outbox = Outbox(consumer, settings.REALTIME_SEND_QUEUE)
    return outbox


def _protocol_of(send):
    """Daphne's websocket protocol behind its `send` (through middleware that wraps it and says so with
    `__wrapped__`, as the metrics do), or None under anything else."""
    while hasattr(send, "__wrapped__"):
        send = send.__wrapped__
    if isinstance(send, partial) and send.args and getattr(send.func, "__name__", "") == "handle_reply":
        return send.args[0] if hasattr(send.args[0], "sendCloseFrame") else None
    return None
