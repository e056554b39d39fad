"""The world of the accounts tests: customers who sign in over /graphql/ as a storefront does."""
import pytest

from commerce.accounts.models import User

PASSWORD = "correct horse battery staple"

SIGN_IN = """mutation ($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) {
    accessToken refreshToken user { email } errors { field code message } } }"""

REFRESH = """mutation ($token: String!) {
  tokenRefresh(refreshToken: $token) { accessToken refreshToken user { email } errors { field code } } }"""

ME = "{ me { email firstName lastName isStaff addresses { city } } }"


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice@example.com", PASSWORD, first_name="Alice", last_name="Liddell")


@pytest.fixture
def signed_in(gql, alice):
    """Alice's token pair from tokenCreate, as her storefront holds it."""
    payload = gql(SIGN_IN, {"email": alice.email, "password": PASSWORD}).ok()["tokenCreate"]
    assert payload["errors"] == []
    return payload
