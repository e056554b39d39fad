"""Google's and Apple's sign-in, faked at their HTTP boundary: the JWKS each publishes its signing keys at, the
ID tokens they sign with those keys (RS256, real signatures), and Apple's token and revoke endpoints, which
check the client secret (an ES256 JWT) as Apple does.

    fake.jwks_url("google")      the address to put in GOOGLE_JWKS_URL (APPLE_JWKS_URL for "apple")
    fake.id_token("google", sub=..., email=...)   a signed ID token; claims can be overridden or left out (None)
    fake.reset()                 between tests: the first key again, at a new address (nothing cached carries over)
    fake.rotate()                publish a new key in place of the current one (the provider rotated its keys)
    fake.codes[code] = sub       an authorization code Apple's /auth/token trades for a refresh token of `sub`
    fake.jwks_reply = (200, b"<html>")   what the JWKS addresses answer instead, as a broken provider might
    fake.revoked                 the refresh tokens /auth/revoke was called with
"""
import base64
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.fakes.server import FakeServer, Request

GOOGLE_CLIENT_IDS = ["shop-web.apps.googleusercontent.com", "shop-ios.apps.googleusercontent.com"]
APPLE_CLIENT_IDS = ["com.example.shop", "com.example.shop.web"]
APPLE_TEAM_ID, APPLE_KEY_ID = "TEAM123456", "KEY1234567"
ISSUERS = {"google": "https://accounts.google.com", "apple": "https://appleid.apple.com"}
AUDIENCES = {"google": GOOGLE_CLIENT_IDS[0], "apple": APPLE_CLIENT_IDS[0]}

_rsa_keys: dict = {}


def rsa_key(n: int):
    """The n-th test RSA key (made once per run: making one takes a while)."""
    if n not in _rsa_keys:
        _rsa_keys[n] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _rsa_keys[n]


APPLE_PRIVATE_KEY = ec.generate_private_key(ec.SECP256R1())  # the developer account's Sign in with Apple key


def apple_private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization

    return APPLE_PRIVATE_KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def _b64(number: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


class FakeIdentityProviders(FakeServer):
    idempotency_header = None

    def __init__(self):
        super().__init__()
        self.clear()

    def clear(self) -> None:
        """Back to the first key, at a new address: a JWKS client caches by address, so no test sees the keys
        another test's client fetched."""
        self.generation = 0
        self.prefix = uuid.uuid4().hex[:8]
        self.codes: dict[str, str] = {}
        self.revoked: list[dict] = []
        self.jwks_reply: tuple[int, object] | None = None  # answer this to the JWKS instead (a broken provider)

    @property
    def kid(self) -> str:
        return f"key-{self.generation}"

    @property
    def key(self):
        return rsa_key(self.generation)

    def rotate(self) -> None:
        self.generation += 1

    def jwks_url(self, provider: str) -> str:
        return f"{self.base}/{self.prefix}/{provider}/keys"

    def id_token(self, provider: str, *, sub: str = "1001", email: str | None = "ann@example.com",
                 email_verified=True, key=None, kid: str | None = None, algorithm: str = "RS256",
                 **claims) -> str:
        now = int(time.time())
        payload = {"iss": ISSUERS[provider], "aud": AUDIENCES[provider], "sub": sub, "iat": now, "exp": now + 600,
                   "email": email, "email_verified": email_verified, **claims}
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, key if key is not None else self.key, algorithm=algorithm,
                          headers={"kid": kid or self.kid})

    def fetches(self, provider: str) -> int:
        return len(self.calls_to(f"/{self.prefix}/{provider}/keys", "GET"))

    def route(self, request: Request) -> tuple[int, object]:
        if request.method == "GET" and request.path in (f"/{self.prefix}/google/keys", f"/{self.prefix}/apple/keys"):
            if self.jwks_reply is not None:
                return self.jwks_reply
            public = self.key.public_key().public_numbers()
            return 200, {"keys": [{"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                                   "n": _b64(public.n), "e": _b64(public.e)}]}
        if request.method == "POST" and request.path in ("/auth/token", "/auth/revoke"):
            form = request.form
            if not self._client_secret_holds(form):
                return 400, {"error": "invalid_client"}
            if request.path == "/auth/revoke":
                self.revoked.append(form)
                return 200, b""
            sub = self.codes.pop(form.get("code", ""), None)
            if sub is None or form.get("grant_type") != "authorization_code":
                return 400, {"error": "invalid_grant"}
            return 200, {"access_token": uuid.uuid4().hex, "token_type": "Bearer", "expires_in": 3600,
                         "refresh_token": f"r.{sub}.{uuid.uuid4().hex}",
                         "id_token": self.id_token("apple", sub=sub, aud=form["client_id"])}
        return 404, {"error": "not_found"}

    @staticmethod
    def _client_secret_holds(form: dict) -> bool:
        """Apple's check: an ES256 JWT by the team's key (kid), for this client id, not expired."""
        try:
            secret = form["client_secret"]
            assert jwt.get_unverified_header(secret)["kid"] == APPLE_KEY_ID
            claims = jwt.decode(secret, APPLE_PRIVATE_KEY.public_key(), algorithms=["ES256"],
                                audience="https://appleid.apple.com", issuer=APPLE_TEAM_ID)
            return claims["sub"] == form["client_id"]
        except (KeyError, AssertionError, jwt.InvalidTokenError):
            return False
