"""The fixture pattern for a gateway faked by a tests/fakes/server.py subclass, for a provider's test module:

    from tests.fakes.gateway import gateway_fixture
    paypal = gateway_fixture(FakePayPal, gateway="paypal", api_base_setting="PAYPAL_API_BASE",
                             settings={"PAYPAL_CLIENT_ID": "...", "PAYPAL_CLIENT_SECRET": "...", ...})

A test asking for `paypal` gets the fake (one server per test session, emptied before each test) with the
gateway's settings set, its *_API_BASE pointed at the fake, and PAYMENT_GATEWAYS naming it first (Stripe, which
every test has configured, second). `fake.env` is the same as environment variables, for a deployed process
(tests/servers.py's deployed_env(**fake.env)).
"""
import pytest

_servers: dict[type, object] = {}


def gateway_fixture(fake_class: type, *, gateway: str, api_base_setting: str, settings: dict[str, str]):
    keys = dict(settings)

    @pytest.fixture
    def fake_gateway(settings):  # pytest-django's, undone after the test
        fake = _servers.get(fake_class)
        if fake is None:
            fake = _servers[fake_class] = fake_class()
        fake.reset()
        values = {**keys, api_base_setting: fake.base, "PAYMENT_GATEWAYS": f"{gateway},stripe"}
        for name, value in values.items():
            setattr(settings, name, value)
        fake.env = {name: str(value) for name, value in values.items()}
        return fake

    return fake_gateway
