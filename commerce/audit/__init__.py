"""The audit log: who changed what (a price, stock, an order's state, a refund, a voucher, a sale, an attribute,
a staff flag), written by the services that make the change, so the API, the admin and the jobs all write it.

Every commerce app may import this module and it imports none of them (its erasure receiver listens to
commerce.accounts.signals, as the sent-email log does), so a service at any layer can record.

Who acted: a service that already takes an `actor` (orders, refunds) passes it; the rest read the actor of the
work in progress from a context variable, which the edges set for their duration with `acting_as`: the GraphQL
operation (graph.transport.auth, the token's user), a Django view such as the admin (project.middleware.ActingUser,
the session's user) and a job (tasks' middleware: no user, the job's name as `source`). Passing the user through
every catalog service's signature would have changed every caller for a value none of their rules read; the
context variable follows the work into Django's threads as the request id does.
"""
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

CREATE, UPDATE, DELETE, TRANSITION, REFUND = "create", "update", "delete", "transition", "refund"


@dataclass(frozen=True)
class Acting:
    user: Any  # a User, AnonymousUser, or a lazy one (the admin's request.user), read only when an entry is written
    source: str = ""  # api, admin, job:<name>
    request_id: str = ""


_acting: ContextVar[Acting | None] = ContextVar("audit_acting", default=None)


@contextmanager
def acting_as(user, *, source: str = "", request_id: str = ""):
    """Within the block (and the threads and tasks started from it), changes are recorded as made by `user`
    (None or an anonymous user: the system)."""
    token = _acting.set(Acting(user, source, request_id or ""))
    try:
        yield
    finally:
        try:
            _acting.reset(token)
        except ValueError:  # left in another context than it was entered in (an async generator's teardown)
            _acting.set(None)


def acting() -> Acting | None:
    return _acting.get()


def plain(value):
    """A value as the entry's JSON keeps it: decimals as their exact text, dates in ISO format, rows by their name,
    related sets as sorted names."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "all") and callable(value.all):  # a related manager (groups, a sale's products)
        return sorted(str(item) for item in value.all())
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [plain(item) for item in value]
    return str(value)


def snapshot(obj, fields: Iterable[str]) -> dict:
    """The fields' values as plain JSON (a row not yet saved has no related sets: empty)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if obj.pk is None and (field.many_to_many or field.one_to_many):
            values[name] = []
        else:
            values[name] = plain(getattr(obj, name))
    return values


def diff(before: Mapping, after: Mapping) -> dict:
    """{field: [before, after]} for the fields whose value changed."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def _actor(explicit):
    if explicit is None:
        context = _acting.get()
        explicit = context.user if context else None
    return explicit if explicit is not None and getattr(explicit, "is_authenticated", False) else None


def record(action: str, obj, changes: Mapping | None = None, *, actor=None, object_repr: str | None = None):
    """Write one entry: `actor` did `action` to `obj`, changing {field: [before, after]}. An update that changed
    nothing writes nothing. `actor` given wins; otherwise the one acting_as set; otherwise the system."""
    from commerce.audit.models import AuditEntry  # not at import: every app imports this module while loading

    if changes is not None and not changes and action == UPDATE:
        return None
    user, context = _actor(actor), _acting.get()
    return AuditEntry.objects.create(
        actor=user, actor_email=getattr(user, "email", "") or "", source=context.source if context else "",
        request_id=context.request_id if context else "", action=action, object_type=obj._meta.label_lower,
        object_id=str(obj.pk), object_repr=(object_repr or str(obj))[:200], changes=plain(dict(changes or {})),
    )
