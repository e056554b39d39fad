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
