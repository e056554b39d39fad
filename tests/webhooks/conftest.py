import socket

import pytest

from commerce.webhooks import services
from commerce.webhooks.models import Webhook
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def local_receivers(settings):
    """Deliveries may reach this machine: deliberately, for the tests' real local receiver (the default refuses)."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_RETRY_FIRST_DELAY_SECONDS = 1
    return settings


@pytest.fixture
def endpoint(receiver, local_receivers):
    """An endpoint at the receiver for these events; the receiver knows its secret."""
    def make(*events: str, url: str | None = None) -> Webhook:
        webhook, secret = services.create_webhook(url=url or receiver.url, events=list(events))
        receiver.secrets = [secret]
        return webhook

    return make


@pytest.fixture
def connections(monkeypatch):
    """Every TCP connection the client opens (the real one is still made): a refusal must leave this empty."""
    opened = []
    real = socket.create_connection

    def recording(address, *args, **kwargs):
        opened.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", recording)
    return opened


@pytest.fixture
def fake_dns(monkeypatch):
    """Names resolve to what the test says (DNS faked at its boundary, getaddrinfo); other names as usual."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return answers
