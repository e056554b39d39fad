"""The Redis channel layer as configured for a crowd (project/channel_layer.py, CHANNEL_LAYERS in settings)."""
import asyncio


def test_a_server_process_that_falls_behind_still_gets_every_change(redis_url):
    """All the sockets of one server process share one queue in Redis. Stock channels_redis holds 100 messages
    there and silently drops the rest: a process paused for a second under a burst of changes lost some."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    burst = 1000

    async def scenario():
        channels = [await layer.new_channel() for _ in range(5)]  # five sockets of one process
        for channel in channels:
            await layer.group_add("orders.burst-test", channel)
        for event_id in range(burst):  # while the process reads nothing
            await layer.group_send("orders.burst-test", {"type": "order.changed", "order_id": 1, "event_id": event_id})
        received = [[(await asyncio.wait_for(layer.receive(channel), 10))["event_id"] for _ in range(burst)]
                    for channel in channels]
        for channel in channels:
            await layer.group_discard("orders.burst-test", channel)
        return received

    assert asyncio.run(scenario()) == [list(range(burst))] * 5
