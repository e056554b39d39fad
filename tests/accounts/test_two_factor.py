"""Two-factor sign-in (TOTP, RFC 6238): turning it on and off over the API, tokenCreate asking for the code, the
admin's login asking for it too, and the set-up page for staff who must have it.

Codes are computed here from the secret the API hands out, with RFC 6238 written out below (checked against
the RFC's own test vector), never read from the server.
"""
import base64
import hashlib
import hmac
import re
import struct
import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from commerce.accounts import services
from commerce.accounts.models import RecoveryCode, User
from tests.accounts.test_concurrency import in_parallel

STAFF_PASSWORD = "a-long-password-1"  # tests/conftest.py's staff_user and customer

SIGN_IN = """mutation ($email: String!, $password: String!, $otp: String) {
  tokenCreate(email: $email, password: $password, otp: $otp) {
    accessToken refreshToken user { email hasTwoFactor } errors { field code message } } }"""
SETUP = """mutation ($password: String) {
  twoFactorSetup(password: $password) { otpauthUrl qrSvg errors { field code message } } }"""
CONFIRM = """mutation ($code: String!) {
  twoFactorConfirm(code: $code) { user { email hasTwoFactor } recoveryCodes errors { field code message } } }"""
DISABLE = """mutation ($code: String!, $password: String) {
  twoFactorDisable(code: $code, password: $password) { user { hasTwoFactor } errors { field code message } } }"""


def totp(secret: str, at: float | None = None, *, digits: int = 6, step: int = 30) -> str:
    """RFC 6238: HOTP (RFC 4226, HMAC-SHA1 and dynamic truncation) of the number of `step`s since the epoch."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


def test_the_tests_totp_is_rfc_6238():
    secret = base64.b32encode(b"12345678901234567890").decode()  # the RFC's SHA-1 key
    assert [totp(secret, t, digits=8) for t in (59, 1111111109, 1234567890)] == ["94287082", "07081804", "89005924"]


@pytest.fixture(autouse=True)
def _mid_step():
    """Codes are computed here and checked there a moment later: start each test clear of a step's end, so
    "the step before" and "the step after" mean the same steps on both sides."""
    if time.time() % 30 > 27:
        time.sleep(30 - time.time() % 30 + 0.1)


def turn_on(user: User) -> str:
    """The user with an authenticator app confirmed (as twoFactorConfirm leaves it); returns its secret."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return base64.b32encode(device.bin_key).decode()


@pytest.fixture
def staff_secret(staff_user) -> str:
    return turn_on(staff_user)


def sign_in(gql, user, otp=None, **headers) -> dict:
    variables = {"email": user.email, "password": STAFF_PASSWORD, "otp": otp}
    return gql(SIGN_IN, variables, **headers).ok()["tokenCreate"]


def errors(payload) -> list[tuple]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


@pytest.fixture
def no_backoff(settings):
    """django-otp's own back-off (1, 2, 4... seconds after each wrong code) off, where a test sends a right code
    straight after a wrong one; test_wrong_codes_back_off_exponentially shows it on."""
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0


# --- tokenCreate


def test_with_two_factor_on_a_password_alone_gets_otp_required(gql, staff_user, staff_secret):
    payload = sign_in(gql, staff_user)
    assert errors(payload) == [(["otp"], "OTP_REQUIRED")]
    assert payload["accessToken"] is None and payload["user"] is None


def test_the_current_code_signs_in(gql, staff_user, staff_secret):
    payload = sign_in(gql, staff_user, totp(staff_secret))
    assert payload["errors"] == [] and payload["accessToken"] and payload["refreshToken"]
    assert payload["user"] == {"email": staff_user.email, "hasTwoFactor": True}


def test_the_password_is_checked_before_the_code(gql, staff_user, staff_secret):
    payload = gql(SIGN_IN, {"email": staff_user.email, "password": "not it", "otp": totp(staff_secret)}).ok()
    assert errors(payload["tokenCreate"]) == [(["email"], "INVALID_CREDENTIALS")]


@pytest.mark.parametrize("offset", [-30, 30])
def test_a_code_one_step_early_or_late_is_accepted(gql, staff_user, staff_secret, offset):
    assert sign_in(gql, staff_user, totp(staff_secret, time.time() + offset))["errors"] == []


@pytest.mark.parametrize("offset", [-60, 60, -90])
def test_a_code_two_steps_away_is_refused(gql, staff_user, staff_secret, offset):
    payload = sign_in(gql, staff_user, totp(staff_secret, time.time() + offset))
    assert errors(payload) == [(["otp"], "INVALID_CREDENTIALS")] and payload["accessToken"] is None


def test_a_code_is_accepted_once(gql, staff_user, staff_secret):
    code = totp(staff_secret)
    assert sign_in(gql, staff_user, code)["errors"] == []
    assert errors(sign_in(gql, staff_user, code)) == [(["otp"], "INVALID_CREDENTIALS")]
    # nor one older than the last used (the step before, still inside the tolerance)
    time.sleep(1.1)  # past django-otp's back-off after that failure
    assert errors(sign_in(gql, staff_user, totp(staff_secret, time.time() - 30))) == [(["otp"], "INVALID_CREDENTIALS")]


def test_the_same_code_sent_twice_at_once_signs_in_once(postgres, transactional_db):
    user = User.objects.create_user("racer@example.com", STAFF_PASSWORD, is_staff=True)
    code = totp(turn_on(user))
    answers = in_parallel(4, lambda: services.sign_in(email=user.email, password=STAFF_PASSWORD, address="203.0.113.9", otp=code))
    assert answers.count("OK") == 1 and set(answers) - {"OK"} <= {"INVALID_CREDENTIALS", "THROTTLED"}


def test_a_customer_without_two_factor_signs_in_as_before(gql, customer):
    payload = sign_in(gql, customer)
    assert payload["errors"] == [] and payload["user"] == {"email": customer.email, "hasTwoFactor": False}


def test_required_for_staff_a_staff_account_without_it_is_told_to_set_it_up(gql, settings, staff_user, customer):
    settings.STAFF_TWO_FACTOR_REQUIRED = True
    payload = sign_in(gql, staff_user)
    assert errors(payload) == [(["otp"], "OTP_REQUIRED")] and payload["accessToken"] is None
    assert "/admin/" in payload["errors"][0]["message"]
    assert sign_in(gql, customer)["errors"] == []  # customers are not asked


def test_required_for_staff_a_token_from_before_carries_no_staff_powers_until_set_up(gql, settings, staff_user):
    staff_query = "{ orders(first: 1) { edges { node { id } } } }"
    gql.login(staff_user)  # signed in before the setting was turned on
    assert gql(staff_query).ok()
    settings.STAFF_TWO_FACTOR_REQUIRED = True
    assert gql(staff_query).codes == ["FORBIDDEN"]
    turn_on(staff_user)
    assert gql(staff_query).ok()


# --- Brute force


def test_wrong_codes_back_off_exponentially(gql, staff_user, staff_secret):
    assert errors(sign_in(gql, staff_user, "000000")) == [(["otp"], "INVALID_CREDENTIALS")]
    assert errors(sign_in(gql, staff_user, totp(staff_secret))) == [(["otp"], "THROTTLED")]  # within a second
    assert TOTPDevice.objects.get(user=staff_user).throttling_failure_count == 1
    time.sleep(1.1)
    assert sign_in(gql, staff_user, totp(staff_secret))["errors"] == []


def test_an_account_gets_five_tries_per_window_even_the_right_code_after(gql, settings, staff_user, staff_secret,
                                                                       no_backoff):
    for guess in ["000000", "111111", "222222", "333333", "444444"]:
        assert errors(sign_in(gql, staff_user, guess)) == [(["otp"], "INVALID_CREDENTIALS")]
    assert errors(sign_in(gql, staff_user, totp(staff_secret))) == [(["otp"], "THROTTLED")]
    assert errors(sign_in(gql, staff_user, totp(staff_secret), REMOTE_ADDR="10.9.9.9")) == [(["otp"], "THROTTLED")]


def test_one_address_gets_a_bounded_number_of_wrong_codes_across_accounts(gql, settings, staff_user, customer,
                                                                          no_backoff):
    settings.TWO_FACTOR_MAX_FAILURES_PER_IP = 3
    staff_secret, customer_secret = turn_on(staff_user), turn_on(customer)
    for user in (staff_user, staff_user, customer):
        assert errors(sign_in(gql, user, "000000")) == [(["otp"], "INVALID_CREDENTIALS")]
    assert errors(sign_in(gql, customer, totp(customer_secret))) == [(["otp"], "THROTTLED")]
    assert sign_in(gql, customer, totp(customer_secret), REMOTE_ADDR="10.9.9.9")["errors"] == []  # another address


def test_right_codes_do_not_use_up_a_shared_address(gql, settings, staff_user, customer):
    settings.TWO_FACTOR_MAX_FAILURES_PER_IP = 2
    for user, secret in [(staff_user, turn_on(staff_user)), (customer, turn_on(customer))]:
        assert sign_in(gql, user, totp(secret))["errors"] == []
        assert sign_in(gql, user, totp(secret, time.time() + 30))["errors"] == []


def test_the_two_factor_mutations_draw_on_the_addresss_sign_in_bucket(gql, settings, customer):
    settings.AUTH_THROTTLE_MAXIMUM, settings.AUTH_THROTTLE_PER_MINUTE = 2, 1
    gql.login(customer)
    assert [gql(CONFIRM, {"code": "000000"}).status for _ in range(2)] == [200, 200]
    assert gql(CONFIRM, {"code": "000000"}).codes == ["THROTTLED"]


# --- Turning it on and off over the API


def set_up(gql, user) -> str:
    """twoFactorSetup as an app calls it; returns the secret from the otpauth URL."""
    payload = gql.login(user)(SETUP, {"password": STAFF_PASSWORD}).ok()["twoFactorSetup"]
    assert payload["errors"] == []
    return parse_qs(urlparse(payload["otpauthUrl"]).query)["secret"][0]


def test_setup_answers_an_otpauth_url_and_its_qr_code_and_changes_nothing_yet(gql, staff_user):
    payload = gql.login(staff_user)(SETUP, {"password": STAFF_PASSWORD}).ok()["twoFactorSetup"]
    url = urlparse(payload["otpauthUrl"])
    assert (url.scheme, url.netloc, url.path) == ("otpauth", "totp", "/Demo%20Shop%3Astaff%40example.com")
    assert parse_qs(url.query)["issuer"] == ["Demo Shop"] and parse_qs(url.query)["period"] == ["30"]
    assert payload["qrSvg"].startswith("<svg") and "<path" in payload["qrSvg"]
    assert sign_in(gql, staff_user)["errors"] == []  # not on until confirmed


@pytest.mark.parametrize("password, expected", [(None, "REQUIRED"), ("not it", "INVALID_CREDENTIALS")])
def test_setup_needs_the_password(gql, customer, password, expected):
    payload = gql.login(customer)(SETUP, {"password": password}).ok()["twoFactorSetup"]
    assert errors(payload) == [(["password"], expected)] and payload["otpauthUrl"] is None


def test_setup_needs_a_signed_in_user(gql):
    assert gql(SETUP, {"password": STAFF_PASSWORD}).codes == ["UNAUTHENTICATED"]


def test_confirm_turns_it_on_and_shows_recovery_codes_once_storing_digests(gql, customer):
    secret = set_up(gql, customer)
    assert errors(gql(CONFIRM, {"code": "000000"}).ok()["twoFactorConfirm"]) == [(["code"], "INVALID_CREDENTIALS")]
    time.sleep(1.1)  # django-otp's back-off after that wrong code
    payload = gql(CONFIRM, {"code": totp(secret)}).ok()["twoFactorConfirm"]
    assert payload["errors"] == [] and payload["user"] == {"email": customer.email, "hasTwoFactor": True}
    codes = payload["recoveryCodes"]
    assert len(set(codes)) == 10 and all(re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){3}", code) for code in codes)
    stored = set(RecoveryCode.objects.filter(device__user=customer).values_list("digest", flat=True))
    assert len(stored) == 10 and not stored & ({c.replace("-", "") for c in codes} | set(codes))
    assert errors(sign_in(gql, customer)) == [(["otp"], "OTP_REQUIRED")]


def test_confirm_without_a_setup_is_not_found(gql, customer):
    payload = gql.login(customer)(CONFIRM, {"code": "123456"}).ok()["twoFactorConfirm"]
    assert errors(payload) == [(["code"], "NOT_FOUND")] and payload["recoveryCodes"] is None


def test_setup_again_while_on_is_refused(gql, customer):
    turn_on(customer)
    payload = gql.login(customer)(SETUP, {"password": STAFF_PASSWORD}).ok()["twoFactorSetup"]
    assert errors(payload) == [(None, "ALREADY_EXISTS")]


def confirmed(gql, user) -> tuple[str, list[str]]:
    secret = set_up(gql, user)
    payload = gql(CONFIRM, {"code": totp(secret)}).ok()["twoFactorConfirm"]
    assert payload["errors"] == []
    return secret, payload["recoveryCodes"]


def test_a_recovery_code_signs_in_once(gql, staff_user):
    _, codes = confirmed(gql, staff_user)
    typed = codes[3].upper().replace("-", " ")  # case, dashes and spaces do not count
    assert sign_in(gql, staff_user, typed)["errors"] == []
    time.sleep(1.1)
    assert errors(sign_in(gql, staff_user, codes[3])) == [(["otp"], "INVALID_CREDENTIALS")]
    assert RecoveryCode.objects.filter(device__user=staff_user).count() == 9


def test_disable_needs_a_code_and_the_password(gql, customer, no_backoff):
    secret, codes = confirmed(gql, customer)
    later = totp(secret, time.time() + 30)  # the confirm spent this step's code
    refused = gql(DISABLE, {"code": later, "password": "not it"}).ok()["twoFactorDisable"]
    assert errors(refused) == [(["password"], "INVALID_CREDENTIALS")]
    refused = gql(DISABLE, {"code": "000000", "password": STAFF_PASSWORD}).ok()["twoFactorDisable"]
    assert errors(refused) == [(["code"], "INVALID_CREDENTIALS")]
    payload = gql(DISABLE, {"code": codes[0], "password": STAFF_PASSWORD}).ok()["twoFactorDisable"]
    assert payload == {"user": {"hasTwoFactor": False}, "errors": []}
    assert sign_in(gql, customer)["errors"] == []
    assert not RecoveryCode.objects.filter(device__user=customer).exists()


# --- The admin's login


def admin_login(client, user, otp=None, password=STAFF_PASSWORD):
    data = {"username": user.email, "password": password, **({"otp": otp} if otp is not None else {})}
    return client.post("/admin/login/?next=/admin/", data)


def test_admin_login_asks_for_the_code_after_the_password(client, staff_user, staff_secret):
    first = admin_login(client, staff_user)
    assert first.status_code == 200 and b"Enter the 6-digit code" in first.content
    assert b'name="otp"' in first.content and STAFF_PASSWORD.encode() in first.content  # the password kept
    assert client.get("/admin/").status_code == 302  # not signed in yet
    second = admin_login(client, staff_user, totp(staff_secret))
    assert second.status_code == 302 and second["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_login_refuses_a_wrong_or_used_code(client, staff_user, staff_secret):
    code = totp(staff_secret)
    assert admin_login(Client(), staff_user, code).status_code == 302
    used = admin_login(client, staff_user, code)
    assert used.status_code == 200 and b"not correct, or it was already used" in used.content
    assert client.get("/admin/").status_code == 302


def test_admin_login_takes_a_recovery_code(client, gql, staff_user):
    _, codes = confirmed(gql, staff_user)
    assert admin_login(client, staff_user, codes[0])["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_wrong_codes_count_with_the_apis(client, gql, staff_user, staff_secret, no_backoff):
    for guess in ["000000", "111111", "222222"]:
        assert errors(sign_in(gql, staff_user, guess)) == [(["otp"], "INVALID_CREDENTIALS")]
    for guess in ["333333", "444444"]:
        assert admin_login(client, staff_user, guess).status_code == 200
    refused = admin_login(client, staff_user, totp(staff_secret))
    assert refused.status_code == 200 and b"Too many wrong codes" in refused.content


def test_a_session_without_the_second_factor_is_not_staff_in_the_admin(client, staff_user, staff_secret):
    client.force_login(staff_user)  # a password-only session
    assert client.get("/admin/").status_code == 302


def test_without_the_setting_staff_with_no_device_use_the_admin_as_before(client, staff_user):
    assert admin_login(client, staff_user)["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_required_staff_with_no_device_only_get_the_set_up_page(client, settings, staff_user):
    settings.STAFF_TWO_FACTOR_REQUIRED = True
    response = admin_login(client, staff_user)
    for _ in range(3):  # /admin/ -> the login page -> the set-up page
        assert response.status_code == 302
        response = client.get(response["Location"])
    assert response.status_code == 200 and response.request["PATH_INFO"] == "/admin/two-factor/setup/"
    assert b"<svg" in response.content
    assert client.get("/admin/orders/order/").status_code == 302  # nothing else
    secret = re.search(rb'id="two-factor-secret">([A-Z2-7]+)<', response.content).group(1).decode()
    assert client.get("/admin/two-factor/setup/").content.count(secret.encode()) == 1  # a reload keeps the secret

    wrong = client.post("/admin/two-factor/setup/", {"otp": "000000"})
    assert wrong.status_code == 200 and b"not correct" in wrong.content
    time.sleep(1.1)
    done = client.post("/admin/two-factor/setup/", {"otp": totp(secret)})
    assert done.status_code == 200
    assert len(re.findall(rb"<li><code>[a-z2-7]{4}(?:-[a-z2-7]{4}){3}</code></li>", done.content)) == 10
    assert client.get("/admin/").status_code == 200  # the session is verified now
    assert client.get("/admin/two-factor/setup/")["Location"] == "/admin/"
    staff_user.refresh_from_db()
    assert TOTPDevice.objects.get(user=staff_user).confirmed


def test_the_set_up_page_is_for_signed_in_staff(client, customer):
    assert client.get("/admin/two-factor/setup/")["Location"].startswith("/admin/login/")
    client.force_login(customer)
    assert client.get("/admin/two-factor/setup/")["Location"].startswith("/admin/login/")


def test_the_admin_never_shows_a_devices_secret(client, staff_user, customer):
    staff_user.is_superuser = True
    staff_user.save()
    device = TOTPDevice.objects.create(user=customer, name="Authenticator app", confirmed=True)
    client.force_login(staff_user)  # no device of their own, none required
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200 and device.key.encode() not in page.content
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
