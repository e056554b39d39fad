"""Jobs as the app enqueues them: only for committed work, retried when they fail, harmless when run twice."""
import time

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings

from commerce.accounts import services
from commerce.accounts.models import User
from tasks.accounts import send_welcome_email
from tasks.jobs import job
from tests.mail import fail_next_sends

PASSWORD = "correct horse battery staple"


def test_a_committed_registration_sends_one_welcome_email(jobs, mailoutbox):
    services.register(email="nia@example.com", password=PASSWORD, first_name="Nia")
    jobs.run()
    (message,) = mailoutbox
    assert message.to == ["nia@example.com"] and "Hello Nia" in message.body


@pytest.fixture
def registrations_announced():
    """The user ids `account_registered` carried to its listeners (the job that sends the welcome is one)."""
    from commerce.accounts.signals import account_registered

    heard = []

    def listener(sender, user_id, **kwargs):
        heard.append(user_id)

    account_registered.connect(listener)
    yield heard
    account_registered.disconnect(listener)


def test_a_rolled_back_registration_enqueues_nothing(jobs, mailoutbox, registrations_announced):
    with pytest.raises(RuntimeError), transaction.atomic():
        user, _ = services.register(email="ghost@example.com", password=PASSWORD)
        assert registrations_announced == []  # not while the transaction is open
        raise RuntimeError("the request failed after registering")
    jobs.run()
    assert registrations_announced == [] and mailoutbox == []
    assert not User.objects.filter(email="ghost@example.com").exists()

    user, _ = services.register(email="ghost@example.com", password=PASSWORD)
    assert registrations_announced == [user.pk]  # on commit


def test_a_job_delivered_twice_sends_once(jobs, mailoutbox):
    user, _ = services.register(email="twice@example.com", password=PASSWORD)
    jobs.run()
    send_welcome_email.send(user.pk)  # a redelivery, as after a worker died before acknowledging
    jobs.run()
    assert [m.to for m in mailoutbox] == [["twice@example.com"]]


@job
def send_a_note(to: str) -> None:
    """A job of these tests, that sends an email whatever the database holds."""
    mail.send_mail("A note", "Hello", "shop@example.com", [to])


def test_a_job_still_waiting_when_its_test_ends(jobs):
    send_a_note.send_with_options(args=("left-over@example.com",), delay=1_500)  # runs after this test


def test_the_next_test_starts_with_an_empty_outbox_and_queue(jobs, mailoutbox):
    """Once flaky: an email of the test before landed in this one's outbox (so in the twice-sent test's)."""
    time.sleep(2)
    jobs.run()
    assert mailoutbox == []


@override_settings(EMAIL_BACKEND="tests.mail.FlakyBackend")
def test_a_failed_send_is_retried_until_it_goes_out(jobs, mailoutbox):
    fail_next_sends(1)
    services.register(email="retry@example.com", password=PASSWORD)
    jobs.run(timeout_ms=30_000)
    assert [m.to for m in mailoutbox] == [["retry@example.com"]]


def test_the_nightly_purge_drops_expired_refresh_tokens_and_keeps_live_ones(jobs):
    import datetime as dt

    from commerce.accounts import tokens
    from commerce.accounts.models import RefreshToken
    from tasks.accounts import purge_expired_tokens

    user = User.objects.create_user("purge@example.com", PASSWORD)
    with override_settings(REFRESH_TOKEN_LIFETIME=dt.timedelta(0)):
        tokens.sign_in(user)
    live = tokens.sign_in(user)
    purge_expired_tokens.send()
    jobs.run()
    assert RefreshToken.objects.filter(family__user=user).count() == 1
    assert user.token_families.count() == 1
    assert tokens.refresh(live.refresh)[0] == user
