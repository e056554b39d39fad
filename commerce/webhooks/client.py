"""The one HTTP client that sends webhooks: pinned to vetted addresses, no redirects, bounded in time and size.

The host is resolved and every address vetted (commerce.webhooks.addresses) before any packet leaves; the
TCP connection then goes to a vetted address itself, while the Host header, TLS SNI and the certificate check
still use the URL's hostname, so a DNS rebind between check and connect reaches nothing new. http.client
follows no redirect (a 3xx is a failed attempt) and reads no proxy from the environment. Connect and read
each have a timeout and the whole exchange a deadline; at most WEBHOOK_RESPONSE_MAX_BYTES of the answer are read.
"""
import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from commerce.webhooks.addresses import Refused, check_url, resolve


class SendFailed(Exception):
    """No answer: the connection failed, timed out, or TLS did not verify."""


@dataclass
class Answer:
    status: int
    body: bytes  # at most WEBHOOK_RESPONSE_MAX_BYTES


class _Pinned:
    """Connects to `address` instead of resolving `host` again; everything else is http.client's."""

    def __init__(self, host, port, *, address: str, connect_timeout: float, timeout: float, **kwargs):
        super().__init__(host, port, timeout=timeout, **kwargs)
        self._address, self._connect_timeout = address, connect_timeout

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), self._connect_timeout)
        sock.settimeout(self.timeout)
        return sock


class PinnedHTTP(_Pinned, http.client.HTTPConnection):
    def connect(self):
        self.sock = self._open()


class PinnedHTTPS(_Pinned, http.client.HTTPSConnection):
    def connect(self):
        self.sock = self._context.wrap_socket(self._open(), server_hostname=self.host)  # SNI and cert: the name


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url`; Refused before anything is sent to a forbidden address, SendFailed when no answer
    came, else the answer (any status: the caller judges it)."""
    check_url(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(parts.hostname, port)
    deadline = time.monotonic() + settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = PinnedHTTPS if parts.scheme == "https" else PinnedHTTP
    errors = []
    for address in addresses:
        connection = kind(parts.hostname, port, address=address, timeout=_left(deadline, settings.WEBHOOK_READ_TIMEOUT_SECONDS),
                          connect_timeout=_left(deadline, settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS))
        try:
            try:
                connection.connect()
            except (OSError, ssl.SSLError) as error:  # this address is down: the next vetted one may not be
                errors.append(f"{address}: {error}")
                continue
            return _exchange(connection, path, body, headers, deadline)
        finally:
            connection.close()
    raise SendFailed("; ".join(errors)[:300])


def _exchange(connection, path: str, body: bytes, headers: dict, deadline: float) -> Answer:
    try:
        sock = connection.sock  # the response reads from it after http.client lets go of it (Connection: close)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, _read_capped(sock, response, deadline))
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        raise SendFailed(str(error) or type(error).__name__) from None


def _read_capped(sock, response, deadline: float) -> bytes:
    cap, chunks, size = settings.WEBHOOK_RESPONSE_MAX_BYTES, [], 0
    while size < cap:
        sock.settimeout(_left(deadline, settings.WEBHOOK_READ_TIMEOUT_SECONDS))
        chunk = response.read1(min(cap - size, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _left(deadline: float, at_most: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise SendFailed("timed out (total)")
    return min(left, at_most)


__all__ = ["Answer", "Refused", "SendFailed", "post"]
