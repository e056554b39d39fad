"""Sign-in and refresh under parallel requests, each on its own database connection as in production."""
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import override_settings

from commerce.accounts import services, tokens
from commerce.accounts.models import User
from commerce.errors import DomainError

PASSWORD = "correct horse battery staple"


def in_parallel(count: int, attempt):
    """Run `attempt` from `count` threads at once; each answer is a code (or "OK"), as a client would see."""
    def one(_):
        try:
            attempt()
            return "OK"
        except DomainError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


@override_settings(SIGN_IN_MAX_FAILURES=5)
def test_parallel_guesses_get_no_more_than_the_allowed_tries(transactional_db):
    User.objects.create_user("target@example.com", PASSWORD)
    answers = in_parallel(20, lambda: services.sign_in(email="target@example.com", password="a guess",
                                                         address="203.0.113.9"))
    assert answers.count("INVALID_CREDENTIALS") == 5
    assert answers.count("THROTTLED") == 15


def test_two_tabs_refreshing_the_same_token_at_once_both_stay_signed_in(postgres, transactional_db):
    pair = tokens.sign_in(User.objects.create_user("tabs@example.com", PASSWORD))
    assert in_parallel(4, lambda: tokens.refresh(pair.refresh)) == ["OK"] * 4


@override_settings(REFRESH_TOKEN_REUSE_GRACE=dt.timedelta(0))
def test_a_replay_racing_the_owner_rotates_once_and_signs_the_family_out(postgres, transactional_db):
    pair = tokens.sign_in(User.objects.create_user("race@example.com", PASSWORD))
    answers = in_parallel(4, lambda: tokens.refresh(pair.refresh))
    assert sorted(answers) == ["OK", "TOKEN_INVALID", "TOKEN_INVALID", "TOKEN_INVALID"]
    with pytest.raises(DomainError):
        tokens.user_for_access_token(pair.access)


def test_an_email_link_opened_in_parallel_is_used_once(postgres, transactional_db):
    from commerce.accounts import verification
    from commerce.orders.models import Order

    user = User.objects.create_user("clicks@example.com", PASSWORD)
    Order.objects.create(email=user.email, currency="USD", subtotal=1, total=1)
    token = verification.make_confirmation_link(user).url.rsplit("=", 1)[1]
    answers = in_parallel(6, lambda: verification.confirm_email(token))
    assert sorted(answers) == ["OK"] + ["TOKEN_INVALID"] * 5
    assert user.token_families.count() == 1 and user.orders.count() == 1


def test_two_email_changes_confirmed_at_once_leave_one_address(postgres, transactional_db):
    from commerce.accounts import verification

    user = User.objects.create_user("mover@example.com", PASSWORD)
    links = [verification.make_email_change_link(user, f"mover{i}@example.com").url.rsplit("=", 1)[1] for i in (1, 2)]
    tried = iter(links)
    answers = in_parallel(2, lambda: verification.confirm_email_change(user, next(tried)))
    user.refresh_from_db()
    assert sorted(answers) == ["OK", "TOKEN_INVALID"]  # the first spent the other's link
    assert user.email in {"mover1@example.com", "mover2@example.com"} and user.is_email_verified
