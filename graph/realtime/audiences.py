"""Execute once per audience: the subscribers of a process that would receive the same bytes share one
execution of each change, and the serialized message is written to each of their sockets.

Why: a change broadcast to many screens (every staff screen on `ordersUpdated`, a phone and a laptop on one
order) cost one load, one execution and one serialization per socket, and one channel-layer message per socket
through Redis. bench/realtime.py measured 1,000 staff sockets at a p95 of 0.6 to 1.8 s, with messages lost.

- An audience is the subscribers that share the document, its variables (but the resume cursor `after`, which
  only decides what each replays) and everything that decides visibility: staff (all alike), one signed-in user,
  or an anonymous caller; a token is a variable. Their answers are byte for byte the same, so the audience
  executes the document once against each change, with one member's context, and writes the result to each
  member's socket (each with its own operation id), through that socket's bounded outbox (graph.transport.outbox).
- The process, not each socket, is a member of the channel-layer groups (the Hub): a change reaches a process
  once per group, whatever the number of its sockets. The hub re-joins its groups every
  REALTIME_GROUP_REFRESH_SECONDS, since the layer drops members older than its group_expiry (a day).
- A member's own first messages (orderUpdated's current state, a replay after `after`) are executed for it
  alone and sent through Strawberry as any result; until they are sent, the audience holds that member's live
  messages, then sends those not already replayed: the member joins before it reads, so nothing falls between.

Only graphql-transport-ws operations are shared (graph.transport.consumers says which operation is running);
anything else (the legacy protocol, a schema called directly) follows the groups itself, one execution each.
"""
import asyncio
import json
import logging
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable
from contextlib import contextmanager
from contextvars import ContextVar
from inspect import isawaitable

from channels.layers import get_channel_layer
from django.conf import settings
from graphql import DocumentNode, OperationDefinitionNode, VariableNode, print_ast
from strawberry.schema._graphql_core import execute, execution_context_class_kwargs
from strawberry.types import Info

from commerce.permissions import is_signed_in, is_staff
from graph.core.context import viewer
from graph.transport.masking import finished

logger = logging.getLogger("graph.realtime.audiences")

_target: ContextVar[tuple | None] = ContextVar("realtime_target", default=None)


@contextmanager
def delivering_to(consumer, operation_id: str):
    """While a graphql-transport-ws handler starts operation `operation_id`: live messages of a shared feed may
    be written straight to `consumer` under that id (the operation's task copies this context)."""
    token = _target.set((consumer, operation_id))
    try:
        yield
    finally:
        _target.reset(token)


Load = Callable[[int], Awaitable]  # event id -> the update to execute against (None: nothing to send)


async def follow(info: Info, groups: list[str], load: Load, *, first: Callable[[], Awaitable[list]] | None = None,
                 event_of: Callable = lambda update: update.event.pk) -> AsyncGenerator:
    """A subscription's updates: `first()` (its own first messages, loaded after joining), then every change
    announced to `groups`, loaded by `load(event_id)`. Shared with the rest of its audience when it can be."""
    target = _target.get()
    if target is None:
        async for update in _alone(info, groups, load, first, event_of):
            yield update
        return
    audience = await _hub().audience(info, groups, load)
    member = audience.add(*target)
    try:
        sent = set()
        for update in (await first() if first else ()):
            sent.add(event_of(update))
            yield update
        await member.go_live(skip=sent)
        await member.ended  # until the operation is completed or the socket closes; raises what ended the audience
    finally:
        audience.remove(member)


async def _alone(info, groups, load, first, event_of) -> AsyncGenerator:
    from graph.realtime.publisher import MESSAGE

    async with info.context.ws.listen_to_channel(MESSAGE, groups=groups) as messages:
        sent = set()
        for update in (await first() if first else ()):
            sent.add(event_of(update))
            yield update
        async for message in messages:
            if message["event_id"] not in sent:
                update = await load(message["event_id"])
                if update is not None:
                    yield update


class Member:
    def __init__(self, audience: "Audience", consumer, operation_id: str):
        self.audience = audience
        self.consumer = consumer
        self.prefix = '{"id":' + json.dumps(operation_id) + ',"type":"next","payload":'
        self.held: list[tuple[int, str]] | None = []  # live messages held until its own first ones are sent
        self.ended: asyncio.Future = asyncio.get_running_loop().create_future()

    async def deliver(self, event_id: int, payload: str) -> None:
        if self.held is not None:
            self.held.append((event_id, payload))
        else:
            await self.consumer.send(text_data=self.prefix + payload + "}")

    async def go_live(self, skip: set) -> None:
        held, self.held = self.held or [], None
        for event_id, payload in held:
            if event_id not in skip:
                await self.consumer.send(text_data=self.prefix + payload + "}")


class Audience:
    def __init__(self, hub: "Hub", key: Hashable, groups: list[str], info: Info, load: Load):
        self.hub, self.key, self.groups, self.load = hub, key, groups, load
        self.schema = info.schema
        raw = info._raw_info
        self.document = DocumentNode(definitions=(raw.operation, *raw.fragments.values()))
        self.context, self.variables = info.context, dict(raw.variable_values)
        self.members: set[Member] = set()
        self.changes: asyncio.Queue[int] = asyncio.Queue()
        self.worker = asyncio.get_running_loop().create_task(self._work())

    def add(self, consumer, operation_id: str) -> Member:
        member = Member(self, consumer, operation_id)
        self.members.add(member)
        return member

    def remove(self, member: Member) -> None:
        self.members.discard(member)
        if not self.members:
            self.hub.close(self)

    async def _work(self) -> None:
        """One change at a time, in the order they came: load, execute once, send to every member."""
        while True:
            event_id = await self.changes.get()
            try:
                update = await self.load(event_id)
                payload = None if update is None else await self._execute(update)
            except Exception as error:  # the load retried already: end every member's operation with it
                self.hub.close(self)  # and let whoever subscribes next start afresh
                for member in list(self.members):
                    if not member.ended.done():
                        member.ended.set_exception(error)
                return
            if payload is not None:
                for member in list(self.members):
                    try:
                        await member.deliver(event_id, payload)
                    except Exception:  # its socket is going away: the others must not wait on it
                        logger.warning("A live message could not be written to a socket", exc_info=True)

    async def _execute(self, update) -> str:
        """The document executed against `update` as the subscription field's value (Strawberry resolves a
        subscription field to the event it is given), serialized as a `next` message's payload."""
        result = execute(self.schema._schema, self.document, root_value=update, context_value=self.context,
                         variable_values=self.variables,
                         **execution_context_class_kwargs(self.schema.execution_context_class))
        if isawaitable(result):
            result = await result
        payload = {"data": result.data}
        if result.errors:
            payload["errors"] = [finished(error, self.schema).formatted for error in result.errors]
        return json.dumps(payload, separators=(",", ":"))


class Hub:
    """This process's membership of the channel-layer groups its audiences follow, on one event loop."""

    def __init__(self):
        self.layer = get_channel_layer()
        self.audiences: dict[Hashable, Audience] = {}
        self.followers: dict[str, set[Audience]] = {}
        self.membership: dict[str, asyncio.Task] = {}  # the last join or leave asked for each group
        self.channel: str | None = None
        self.started: asyncio.Task | None = None

    async def audience(self, info: Info, groups: list[str], load: Load) -> Audience:
        key = audience_key(info, groups)
        audience = self.audiences.get(key)
        if audience is None:
            audience = self.audiences[key] = Audience(self, key, groups, info, load)
            for group in groups:
                self.followers.setdefault(group, set()).add(audience)
                if len(self.followers[group]) == 1:
                    self._change_membership(group, join=True)
        await self._ready()
        await asyncio.gather(*(asyncio.shield(self.membership[group]) for group in groups))
        return audience

    def close(self, audience: Audience) -> None:
        if self.audiences.get(audience.key) is not audience:
            return
        del self.audiences[audience.key]
        audience.worker.cancel()
        for group in audience.groups:
            followers = self.followers.get(group, set())
            followers.discard(audience)
            if not followers:
                self.followers.pop(group, None)
                self._change_membership(group, join=False)

    def _change_membership(self, group: str, *, join: bool) -> None:
        before = self.membership.get(group)

        async def change():
            if before is not None:
                await asyncio.gather(before, return_exceptions=True)
            await self._ready()
            if join:
                await self.layer.group_add(group, self.channel)
            elif group not in self.followers:  # nobody came back meanwhile
                await self.layer.group_discard(group, self.channel)

        self.membership[group] = asyncio.get_running_loop().create_task(change())

    async def _ready(self) -> None:
        if self.started is None:
            self.started = asyncio.get_running_loop().create_task(self._start())
        await asyncio.shield(self.started)

    async def _start(self) -> None:
        self.channel = await self.layer.new_channel()  # channels_redis: a process's channels share one receiver
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._receive()), loop.create_task(self._refresh())]

    async def _receive(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # a moment's trouble with Redis: the layer's own receive loop reconnects
                logger.exception("The live feed's channel failed to receive; trying again")
                await asyncio.sleep(0.5)
                continue
            for audience in self.followers.get(message.get("group"), ()):
                audience.changes.put_nowait(message["event_id"])

    async def _refresh(self) -> None:
        """Stay a member of every group followed: the layer forgets members older than its group_expiry."""
        while True:
            await asyncio.sleep(settings.REALTIME_GROUP_REFRESH_SECONDS)
            for group in list(self.followers):
                try:
                    await self.layer.group_add(group, self.channel)
                except Exception:
                    logger.exception("Could not renew this process's membership of %s", group)


def audience_key(info: Info, groups: list[str]) -> Hashable:
    """What decides the bytes a subscriber receives: the document, its variables but the resume cursor, and who
    is asking (staff see the same; anyone else is themselves, or anonymous with whatever token the variables
    hold)."""
    raw = info._raw_info
    cursor = _cursor_variables(raw.operation)
    variables = {name: value for name, value in raw.variable_values.items() if name not in cursor}
    user = viewer(info)
    who = "staff" if is_staff(user) else ("user", user.pk) if is_signed_in(user) else "anonymous"
    document = "\n".join(print_ast(node) for node in (raw.operation, *raw.fragments.values()))
    return (document, json.dumps(variables, sort_keys=True, default=str), who, tuple(groups))


def _cursor_variables(operation: OperationDefinitionNode) -> set[str]:
    names = set()
    for selection in operation.selection_set.selections:
        for argument in getattr(selection, "arguments", None) or ():
            if argument.name.value == "after" and isinstance(argument.value, VariableNode):
                names.add(argument.value.name.value)
    return names


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _hub() -> Hub:
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub
