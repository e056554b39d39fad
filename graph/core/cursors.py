"""Page cursors: strawberry's offsets (`arrayconnection:N`) and keyset cursors (`keyset:[order, key, id]`).

A keyset cursor carries the position itself: the order it was made under, the sort key of its row and the row's
primary key. The next page is then "the rows after this key", an index range read however deep the page, and a
product added or removed meanwhile shifts nothing: no row is skipped or shown twice, as offsets would. Both are
opaque base64 to a client; an offset cursor from before keyset cursors still reads as its offset.
"""
import json
from dataclasses import dataclass

from strawberry import relay

OFFSET_PREFIX = "arrayconnection"  # strawberry's ListConnection cursors: an offset under this prefix
KEYSET_PREFIX = "keyset"
# The largest offset a cursor may carry: what fits a 32-bit int. Up to sys.maxsize, the offset plus the page
# overflowed the database's 64-bit OFFSET/LIMIT and surfaced as a masked 500; no shop pages this far.
MAX_CURSOR_OFFSET = 2**31 - 1
MAX_PRIMARY_KEY = 2**63 - 1


@dataclass(frozen=True)
class Keyset:
    order: str  # what the cursor was made under, e.g. "PRICE:ASC": a cursor positions only in its own order
    key: str | None  # the sort key as text (a name, a decimal, an ISO datetime)
    pk: int


def offset_cursor(cursor: str) -> int | None:
    """The offset an `arrayconnection` cursor carries; None for any other cursor."""
    try:
        prefix, offset = relay.from_base64(cursor)
    except (ValueError, TypeError):
        return None
    if prefix != OFFSET_PREFIX or not offset.isdigit() or int(offset) > MAX_CURSOR_OFFSET:
        return None
    return int(offset)


def keyset_cursor(cursor: str) -> Keyset | None:
    """The position a keyset cursor carries; None for anything else (an offset, a forged or mangled string)."""
    try:
        prefix, payload = relay.from_base64(cursor)
        if prefix != KEYSET_PREFIX:
            return None
        order, key, pk = json.loads(payload)
    except (ValueError, TypeError):
        return None
    valid = (isinstance(order, str) and (key is None or isinstance(key, str)) and type(pk) is int
             and 0 < pk <= MAX_PRIMARY_KEY)
    return Keyset(order, key, pk) if valid else None


def make_keyset_cursor(order: str, key: str | None, pk: int) -> str:
    return relay.to_base64(KEYSET_PREFIX, json.dumps([order, key, pk], separators=(",", ":")))
