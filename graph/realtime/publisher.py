"""The publisher: every order change, pushed to the Channels layer for the sockets that follow it.

It listens to commerce's `order_changed` (sent on commit) in every process that loads Django (web processes,
`rundramatiq` workers, the admin; connected in graph.apps) and sends one small message (order id, event id) to
three groups: the order's, its owner's, and staff's. With the Redis layer any web process delivers to the
sockets it holds; with the in-memory layer (embedded mode, one process) the message is handed to the server's
event loop, since that layer is not thread-safe and changes come from request and job threads.
"""
import asyncio

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

MESSAGE = "order.changed"
STAFF_GROUP = "orders.staff"
_server_loop: asyncio.AbstractEventLoop | None = None


def serve_from(loop: asyncio.AbstractEventLoop) -> None:
    """Remember the event loop that serves this process's sockets (called when one connects)."""
    global _server_loop
    _server_loop = loop


def order_group(order_id: int) -> str:
    return f"order.{order_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def publish_order_change(sender, order_id: int, event_id: int, user_id: int | None = None, **kwargs) -> None:
    """Receiver of commerce.orders.signals.order_changed (connected in graph.apps)."""
    groups = [order_group(order_id), STAFF_GROUP] + ([user_group(user_id)] if user_id else [])
    send_to_groups(groups, {"type": MESSAGE, "order_id": order_id, "event_id": event_id})


def send_to_groups(groups: list[str], message: dict) -> None:
    """`message` to each group, naming the group it was sent to (a process that follows several groups with one
    channel, graph.realtime.audiences, tells them apart by it)."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        if _server_loop is not None and not _server_loop.is_closed():  # no socket was ever served here: no one
            for group in groups:
                asyncio.run_coroutine_threadsafe(layer.group_send(group, {**message, "group": group}), _server_loop)
        return
    async_to_sync(_send_all)(layer, groups, message)


async def _send_all(layer, groups: list[str], message: dict) -> None:
    for group in groups:
        await layer.group_send(group, {**message, "group": group})
