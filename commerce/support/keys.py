"""The tokens that let a guest follow a ticket, made as commerce.accounts.verification makes its tokens.

A token is a random secret signed with this purpose as the salt (so a token of another kind is refused before
the database is read); only the secret's digest is stored (TicketKey), so the database never holds a token
that works. Since a digest cannot be turned back into the token, each email to a guest carries a token minted
for it: every link a guest was sent keeps working, and the token travels only inside the email, never through
the job queue.
"""
from django.core import signing

from commerce.accounts import tokens
from commerce.support.models import TicketKey

_signer = signing.Signer(salt="commerce.support.ticket-token", sep=".")


def mint(ticket_id: int) -> str:
    """A new token for the ticket (call inside the transaction that sends it, so a failed send leaves none)."""
    raw, stored = tokens.new_secret()
    TicketKey.objects.create(ticket_id=ticket_id, digest=stored)
    return _signer.sign(raw)


def opens(ticket_id: int, token: str) -> bool:
    """Whether `token` is one of this ticket's."""
    try:
        raw = _signer.unsign(token.strip())
    except signing.BadSignature:
        return False
    return TicketKey.objects.filter(ticket_id=ticket_id, digest=tokens.digest(raw)).exists()
