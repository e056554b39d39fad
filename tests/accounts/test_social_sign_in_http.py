"""Sign in with Google over real HTTP against daphne on PostgreSQL, the JWKS from a local server: the first
sign-in of one Google account from several devices at once makes one account, and a key rotation is picked up
by the deployed process."""
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from commerce.accounts.models import SocialAccount, User
from tests.fakes.oidc import GOOGLE_CLIENT_IDS, FakeIdentityProviders
from tests.servers import deployed_env, start_daphne, stop

pytestmark = [pytest.mark.e2e]

SOCIAL = """mutation ($idToken: String!) { tokenCreateFromIdToken(provider: "google", idToken: $idToken) {
  accessToken user { email } errors { field code } } }"""
DEVICES = 8


@pytest.fixture(scope="module")
def idp():
    fake = FakeIdentityProviders()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def shop_server(django_db_setup, idp):
    process, base = start_daphne(deployed_env(
        REDIS_URL="", TRUSTED_PROXY_HOPS="1", GOOGLE_CLIENT_IDS=",".join(GOOGLE_CLIENT_IDS),
        GOOGLE_JWKS_URL=idp.jwks_url("google"), ID_TOKEN_JWKS_REFRESH_COOLDOWN_SECONDS="0"))
    yield base
    stop(process)


def sign_in(base: str, id_token: str, device: int = 0) -> dict:
    response = httpx.post(f"{base}/graphql/", json={"query": SOCIAL, "variables": {"idToken": id_token}},
                          headers={"X-Forwarded-For": f"198.51.100.{device}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["data"]["tokenCreateFromIdToken"]


def test_one_google_account_signing_in_from_several_devices_at_once_gets_one_account(
        postgres, transactional_db, shop_server, idp):
    tokens = [idp.id_token("google", sub="g-race", email="racer@example.com") for _ in range(DEVICES)]
    with ThreadPoolExecutor(max_workers=DEVICES) as pool:
        answers = list(pool.map(lambda n: sign_in(shop_server, tokens[n], n), range(DEVICES)))
    assert [a["errors"] for a in answers] == [[]] * DEVICES
    assert {a["user"]["email"] for a in answers} == {"racer@example.com"}
    assert User.objects.filter(email="racer@example.com").count() == 1
    assert SocialAccount.objects.filter(subject="g-race").count() == 1


def test_the_server_picks_up_a_rotated_key(postgres, transactional_db, shop_server, idp):
    assert sign_in(shop_server, idp.id_token("google", sub="g-rot", email="rot@example.com"))["errors"] == []
    fetched = idp.fetches("google")
    idp.rotate()
    answer = sign_in(shop_server, idp.id_token("google", sub="g-rot", email="rot@example.com"))
    assert answer["errors"] == [] and answer["user"] == {"email": "rot@example.com"}
    assert idp.fetches("google") == fetched + 1
