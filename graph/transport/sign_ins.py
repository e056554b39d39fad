"""Live sockets end with their sign-in: signing out, a password change, deactivation or deletion closes them.

A socket signs in once, at `connection_init`; each new operation re-checks the sign-in (graph.transport.streaming),
but a subscription already running would go on delivering the user's orders, addresses included. So:

- commerce announces `sign_ins_ended` on commit (commerce.accounts.tokens: revoke_family, revoke_all, a User
  saved inactive or with a new password), and `publish` sends it to one channel-layer group, SIGN_INS_GROUP.
- Each web process joins that group once, with one channel of its own (not one membership per socket: a crowd
  of sockets connecting costs Redis nothing more, and the one membership is renewed before channels_redis's
  `group_expiry` drops it). It keeps its signed-in sockets by sign-in and by user, and ends those the message
  names: their consumer sends nothing more but `complete` for each running operation, then closes with 4403.
  The process channel shares its process's inbox with the sockets' own channels, so a change committed after
  the sign-out finds the socket already ended.
- A check every GRAPHQL_WS_SIGN_IN_CHECK_SECONDS asks the database, in one query per thousand sign-ins, which
  of the process's sign-ins still stand, for what no message told (a revocation written by hand in SQL, a
  message lost while Redis restarted).

graphql-ws clients (Apollo's GraphQLWsLink) retry after 4403, with `connectionParams` read again: a client that
signed in again reconnects with its new token; one whose token is refused stays closed.
"""
import asyncio
import logging
from collections import defaultdict

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from commerce.accounts.tokens import standing_sign_ins
from graph.realtime.publisher import send_to_groups

logger = logging.getLogger("graph.transport.sign_ins")

SIGN_INS_GROUP = "sign-ins"
MESSAGE = "sign_ins.ended"
RENEW_MEMBERSHIP_SECONDS = 3600  # well inside channels_redis's group_expiry (a day by default)
CHECK_BATCH = 1000


def publish(sender, family_ids: list[int], user_id: int | None, **kwargs) -> None:
    """Receiver of commerce.accounts.signals.sign_ins_ended (connected in graph.apps): to every web process."""
    send_to_groups([SIGN_INS_GROUP], {"type": MESSAGE, "family_ids": list(family_ids), "user_id": user_id})


class _Watch:
    """The signed-in sockets of this process (consumers with `family_id`, `user_id` and `end_sign_in()`)."""

    def __init__(self):
        self.by_family: dict[int, set] = defaultdict(set)
        self.by_user: dict[int, set] = defaultdict(set)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: list[asyncio.Task] = []

    def add(self, consumer) -> None:
        self._start()
        self.by_family[consumer.family_id].add(consumer)
        self.by_user[consumer.user_id].add(consumer)

    def discard(self, consumer) -> None:
        for index, key in ((self.by_family, consumer.family_id), (self.by_user, consumer.user_id)):
            held = index.get(key)
            if held is not None:
                held.discard(consumer)
                if not held:
                    del index[key]

    def end(self, family_ids, user_id=None) -> None:
        """End the sockets of these sign-ins and of this user (at once: nothing more is sent from here on)."""
        ended = set(self.by_user.get(user_id, ())) if user_id is not None else set()
        for family_id in family_ids:
            ended |= self.by_family.get(family_id, set())
        for consumer in ended:
            self.discard(consumer)
            consumer.end_sign_in()

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is loop:
            return
        self.loop = loop
        self.tasks = [loop.create_task(self._listen()), loop.create_task(self._check())]


    async def _listen(self) -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        renewed = None
        while True:
            try:
                if renewed is None or self.loop.time() - renewed > RENEW_MEMBERSHIP_SECONDS:
                    await layer.group_add(SIGN_INS_GROUP, channel)
                    renewed = self.loop.time()
                message = await asyncio.wait_for(layer.receive(channel), RENEW_MEMBERSHIP_SECONDS)
            except asyncio.TimeoutError:
                if asyncio.current_task().cancelling():  # wait_for may turn a cancellation met at its timeout
                    raise asyncio.CancelledError from None  # into TimeoutError: the loop must still end
                continue
            except Exception:  # noqa: BLE001 - Redis away: the periodic check stands in until it is back
                logger.warning("Could not hear ended sign-ins; trying again", exc_info=True)
                renewed = None
                await asyncio.sleep(1)
                continue
            if message.get("type") == MESSAGE:
                self.end(message.get("family_ids") or (), message.get("user_id"))

    async def _check(self) -> None:
        while True:
            await asyncio.sleep(settings.GRAPHQL_WS_SIGN_IN_CHECK_SECONDS)
            held = list(self.by_family)
            try:
                standing = set()
                for start in range(0, len(held), CHECK_BATCH):
                    standing |= await sync_to_async(standing_sign_ins)(held[start:start + CHECK_BATCH])
            except Exception:  # noqa: BLE001 - a database hiccup: the next check tries again
                logger.warning("Could not check the sockets' sign-ins", exc_info=True)
                continue
            self.end([family_id for family_id in held if family_id not in standing])


watch = _Watch()
