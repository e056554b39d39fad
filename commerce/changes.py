"""What an anonymous storefront reads has changed: announced once for each committed transaction that wrote it.

Response caches (graph.transport.response_cache) drop what they hold when `storefront_changed` is sent. Rather
than trust every write path to remember an announcement (checkout takes stock with F() updates, sales reprice
with one UPDATE ... FROM, the admin and bulk `.update()` save no model, and the next path written would forget),
every statement Django sends is looked at: one that writes (INSERT, UPDATE, DELETE, or a WITH that may) and names
a watched table adds that table to an announcement held by its transaction. The announcement is sent once, when
the transaction commits (at once in autocommit), and never for a rollback. Naming a table in a subquery of a write
elsewhere also counts: announcing too much costs a cache some hits, too little would serve a stale answer.

Apps say which of their tables the storefront reads (`watch`, from their AppConfig.ready); a write through a raw
DB-API cursor that bypasses Django's cursor would not be seen, and nothing in the project does that.
"""
import logging
import re

from django.db import transaction
from django.db.backends.signals import connection_created
from django.dispatch import Signal

logger = logging.getLogger("commerce.changes")

storefront_changed = Signal()  # tables: frozenset of the watched tables written; sent after the commit

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|WITH|MERGE|TRUNCATE|REPLACE)\b", re.IGNORECASE)
_watched: set[str] = set()
_names: re.Pattern | None = None


def watch(*models) -> None:
    """Announce writes to these models' tables (their many-to-many tables too, when passed as auto-created)."""
    global _names
    _watched.update(model._meta.db_table for model in models)
    alternatives = "|".join(re.escape(name) for name in sorted(_watched, key=len, reverse=True))
    _names = re.compile(rf"\b({alternatives})\b")


def uncommitted(using: str = "default") -> bool:
    """Whether this thread's connection holds watched writes not yet committed: what it reads then is its own,
    and must be neither served from nor stored in a shared cache."""
    connection = transaction.get_connection(using)
    return connection.in_atomic_block and any(isinstance(callback, _Announcement)
                                              for _, callback, _ in connection.run_on_commit)


class _Announcement:
    """The on-commit callback of one transaction: the watched tables it wrote, sent when it commits."""

    def __init__(self, tables: set[str]):
        self.tables = set(tables)

    def __call__(self):
        for receiver, outcome in storefront_changed.send_robust(sender=None, tables=frozenset(self.tables)):
            if isinstance(outcome, Exception):
                logger.error("Listener %r failed for a change of %s", receiver, sorted(self.tables), exc_info=outcome)


def _notice(execute, sql, params, many, context):
    """Django's execute wrapper: run the statement, then note a watched write with its transaction."""
    result = execute(sql, params, many, context)
    if _names is not None and WRITE.match(sql):
        tables = set(_names.findall(sql))
        if tables:
            _hold(context["connection"], tables)
    return result


def _hold(connection, tables: set[str]) -> None:
    """Add `tables` to the transaction's pending announcement, or register one (one per transaction: a savepoint
    rolled back takes its own announcement with it, and a write after that registers a new one)."""
    if connection.in_atomic_block:
        for _, callback, _ in connection.run_on_commit:
            if isinstance(callback, _Announcement):
                callback.tables |= tables
                return
    announcement = _Announcement(tables)
    try:
        transaction.on_commit(announcement, using=connection.alias)
    except transaction.TransactionManagementError:  # autocommit turned off by hand: its commit cannot be awaited
        logger.warning("A write to %s outside atomic() with autocommit off, announced before it commits",
                       sorted(tables))
        announcement()


def _install(sender, connection, **kwargs) -> None:
    """Every database connection notices writes, first among its execute wrappers: Django's own
    `execute_wrapper()` pops the last one when it ends, which must stay its own."""
    if _notice not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _notice)


connection_created.connect(_install, dispatch_uid="commerce.changes.install")
