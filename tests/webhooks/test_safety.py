"""No SSRF: forbidden addresses are refused before any packet is sent to them; the connection goes to the address
that was vetted; no redirect is followed; answers are read only up to the size cap."""
import ipaddress
import socket
import time

import pytest

from commerce.webhooks import client, services
from commerce.webhooks.addresses import Refused, why_forbidden
from commerce.webhooks.models import Delivery
from tests.webhooks.receiver import Receiver

BODY = b'{"id":"1"}'


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "10.1.2.3", "192.168.0.1", "172.16.5.4",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "::", "fe80::1",
                                     "fc00::1", "fd00:ec2::254", "ff02::1", "::ffff:127.0.0.1",
                                     "::ffff:169.254.169.254", "2002:7f00:1::", "64:ff9b::a00:1"])
def test_private_loopback_link_local_and_metadata_addresses_are_forbidden(address):
    assert why_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert why_forbidden(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/hook", "http://localhost:{port}/hook",
                                 "http://[::1]:{port}/hook", "http://[::ffff:127.0.0.1]:{port}/hook",
                                 "http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/hook",
                                 "http://[fd00:ec2::254]/"])
def test_the_default_refuses_before_any_packet_is_sent(settings, connections, url):
    settings.WEBHOOK_ALLOW_HTTP = True  # plain http allowed, private addresses not (the default)
    receiver = Receiver()
    try:
        with pytest.raises(Refused):
            client.post(url.format(port=receiver.port), BODY, {})
    finally:
        receiver.close()
    assert connections == [] and receiver.connections == 0 and receiver.received == []


def test_a_name_with_any_private_address_is_refused(settings, connections, fake_dns):
    """A name that answers a public and a private address is not trusted to reach the public one this time."""
    settings.WEBHOOK_ALLOW_HTTP = True
    fake_dns["rebind.example"] = ["93.184.216.34", "127.0.0.1"]
    with pytest.raises(Refused, match="127.0.0.1 is a loopback address"):
        client.post("http://rebind.example/hook", BODY, {})
    assert connections == []


def test_the_connection_goes_to_the_vetted_address_with_the_hostname_kept(local_receivers, connections, fake_dns,
                                                                           receiver):
    fake_dns["erp.example"] = ["127.0.0.1"]
    answer = client.post(f"http://erp.example:{receiver.port}/hook", BODY, {"X-Test": "1"})
    assert answer.status == 200
    assert connections == [("127.0.0.1", receiver.port)]  # resolved once, by us; the socket went there
    assert receiver.received[0].headers["host"] == f"erp.example:{receiver.port}"


def test_redirects_are_not_followed(local_receivers, receiver):
    receiver.reply(302, headers={"Location": f"http://127.0.0.1:{receiver.port}/elsewhere"})
    assert client.post(receiver.url, BODY, {}).status == 302
    assert [r.path for r in receiver.received] == ["/hook"]


def test_an_oversize_answer_is_read_only_up_to_the_cap(local_receivers, receiver):
    local_receivers.WEBHOOK_RESPONSE_MAX_BYTES = 1000
    receiver.reply(200, b"x" * (20 * 1024 * 1024))
    started = time.monotonic()
    answer = client.post(receiver.url, BODY, {})
    assert answer.status == 200 and len(answer.body) == 1000
    assert time.monotonic() - started < 5


def test_a_receiver_that_never_answers_times_out(local_receivers):
    local_receivers.WEBHOOK_READ_TIMEOUT_SECONDS = 1
    silent = socket.create_server(("127.0.0.1", 0))  # accepts (the kernel's backlog) and never answers
    try:
        started = time.monotonic()
        with pytest.raises(client.SendFailed, match="timed out"):
            client.post(f"http://127.0.0.1:{silent.getsockname()[1]}/hook", BODY, {})
        assert time.monotonic() - started < 3
    finally:
        silent.close()


def test_an_endpoint_now_forbidden_logs_a_refused_attempt_and_sends_nothing(db, local_receivers, receiver,
                                                                            connections):
    webhook, _ = services.create_webhook(url=receiver.url, events=["ORDER_CREATED"])
    (delivery_id,) = services.record([("ORDER_CREATED", "order", 1)])
    local_receivers.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    services.attempt(delivery_id)
    (attempt,) = Delivery.objects.get(pk=delivery_id).attempt_log.all()
    assert attempt.error.startswith("refused: 127.0.0.1 is a loopback address") and not attempt.succeeded
    assert connections == [] and receiver.connections == 0
