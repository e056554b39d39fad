"""The signature on the webhooks this shop sends and on the ones its own integrations post to it.

Stripe's scheme, so receivers can reuse what they know: `X-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
"t.body">`. The timestamp is signed with the body, so a captured request cannot be replayed once it is older
than the tolerance. Several `v1=` values may be present (and several secrets accepted) so a secret can be
rotated with an overlap in which both are valid.
"""
import hashlib
import hmac
import time

HEADER = "X-Webhook-Signature"
DEFAULT_TOLERANCE = 300  # seconds either side of now


class BadSignature(Exception):
    """The header is missing, malformed, stale, or matches none of the secrets."""


def digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secrets: list[str] | str, *, timestamp: int | None = None) -> str:
    """The header's value for `body`, with one `v1=` per secret (two while a secret is being rotated)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    secrets = [secrets] if isinstance(secrets, str) else secrets
    return ",".join([f"t={timestamp}", *(f"v1={digest(s, timestamp, body)}" for s in secrets)])


def verify(header: str | None, body: bytes, secrets: list[str] | str, *, tolerance: int = DEFAULT_TOLERANCE,
           now: float | None = None) -> int:
    """The signed timestamp when `header` is a fresh signature of `body` by any of `secrets`; BadSignature otherwise."""
    secrets = [s for s in ([secrets] if isinstance(secrets, str) else secrets) if s]
    if not header or not secrets or not header.isascii():
        raise BadSignature("missing signature")
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise BadSignature("malformed signature")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise BadSignature("stale signature")
    expected = [digest(s, timestamp, body) for s in secrets]
    if not any(hmac.compare_digest(c, e) for c in candidates for e in expected):
        raise BadSignature("no signature matches")
    return timestamp
