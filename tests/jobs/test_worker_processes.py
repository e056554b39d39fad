"""Jobs in both runtimes, as deployed: a `rundramatiq` worker on Redis next to daphne, and the embedded server
that runs its jobs itself. A customer forgets a password and resets it through the emailed link, over HTTP."""
import re
import time
from pathlib import Path

import httpx
import pytest

from commerce.notifications.models import SentEmail
from tests.servers import deployed_env, start_daphne, start_worker, stop

pytestmark = [pytest.mark.e2e]
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a freshly chosen passphrase"


class Storefront:
    def __init__(self, base: str):
        self.base = base

    def __call__(self, query: str, **variables) -> dict:
        response = httpx.post(f"{self.base}/graphql/", json={"query": query, "variables": variables}, timeout=10)
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        (payload,) = body["data"].values()
        return payload


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def emails_to(mail_dir: Path, address: str) -> list[str]:
    return [f.read_text() for f in sorted(mail_dir.glob("*.log")) if f"To: {address}" in f.read_text()]


def reset_link_token(email_text: str) -> str:
    return re.findall(r"https://shop\.example/reset\?token=([\w-]+)", email_text)[0]


def forgot_and_reset_password(shop: Storefront, mail_dir: Path, email: str) -> None:
    """What the customer does, start to end: register, forget, follow the emailed link, sign in again."""
    registered = shop("""mutation ($email: String!, $password: String!) {
      accountRegister(input: {email: $email, password: $password}) { accessToken errors { code } } }""",
                      email=email, password=PASSWORD)
    assert registered["errors"] == [] and registered["accessToken"]
    assert shop("mutation ($e: String!) { passwordResetRequest(email: $e) { errors { code } } }", e=email) == {
        "errors": []}
    reset_email = wait_for(lambda: [t for t in emails_to(mail_dir, email) if "reset" in t], what="the reset email")
    confirmed = shop("""mutation ($t: String!, $p: String!) {
      passwordResetConfirm(token: $t, password: $p) { user { email } errors { code } } }""",
                     t=reset_link_token(reset_email[0]), p=NEW_PASSWORD)
    assert confirmed == {"user": {"email": email}, "errors": []}
    signed_in = shop("""mutation ($e: String!, $p: String!) {
      tokenCreate(email: $e, password: $p) { accessToken errors { code } } }""", e=email, p=NEW_PASSWORD)
    assert signed_in["errors"] == [] and signed_in["accessToken"]


def mail_env(tmp_path: Path) -> dict:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "PASSWORD_RESET_URL": "https://shop.example/reset?token={token}",
    }


def test_a_worker_process_sends_the_emails_the_web_process_enqueued_on_redis(
    postgres, redis_url, redis_key_prefix, transactional_db, tmp_path
):
    # Own namespace: the test process's in-process worker shares this run's prefix and must not take these jobs.
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-workers", **mail_env(tmp_path))
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        web, base = start_daphne(env)
        try:
            forgot_and_reset_password(Storefront(base), tmp_path / "mail", "wendy@example.com")
        finally:
            stop(web)
    finally:
        stop(worker)
    sent = set(SentEmail.objects.filter(recipient="wendy@example.com").values_list("key", flat=True))
    assert {key.split(":")[0] for key in sent} == {"welcome", "password-reset"}  # recorded in PostgreSQL


def test_the_embedded_server_runs_its_jobs_itself(transactional_db, tmp_path):
    env = deployed_env(REDIS_URL="", **mail_env(tmp_path))
    web, base = start_daphne(env)
    try:
        forgot_and_reset_password(Storefront(base), tmp_path / "mail", "emma@example.com")
        assert wait_for(lambda: emails_to(tmp_path / "mail", "emma@example.com"), what="the welcome email")
    finally:
        stop(web)
