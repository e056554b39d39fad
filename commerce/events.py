"""Announcing what happened, once the transaction that did it commits.

Listeners (jobs in tasks/, the realtime publisher in graph/) connect to the domain's signals; the domain never
knows who listens. Sending on commit means nothing is announced that was rolled back, and a listener that
fails (a broker that is down) is logged rather than turning a committed change into an error for the caller.
"""
import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger("commerce.events")


def announce(signal: Signal, **kwargs) -> None:
    """Send `signal` with `kwargs` after the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: _send(signal, kwargs))


def _send(signal: Signal, kwargs: dict) -> None:
    for receiver, outcome in signal.send_robust(sender=None, **kwargs):
        if isinstance(outcome, Exception):
            logger.error("Listener %r failed for %r", receiver, kwargs, exc_info=outcome)
