"""The admin's live order board in a real browser: staff sign in to the admin, open the board, and watch an order
placed, paid, fulfilled and delivered through another web process appear and change without a reload, while the
page renews its short-lived token and reconnects underneath, and comes back by itself after its server restarts.

Two daphne processes and a job worker on the run's Redis, as deployed: the board's server hears of changes made
by the shop's server (and the worker that applies Stripe's webhook) only through the Redis channel layer. The
world is made before Chromium starts (Playwright's event loop would refuse database calls in the test thread),
and the test itself speaks to the servers only over HTTP.
"""
import time
from types import SimpleNamespace

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from commerce.accounts import tokens
from tests.browser.conftest import chromium, open_tab
from tests.fake_stripe import signed
from tests.orders.conftest import CHECKOUT, DELIVERED, FULFILL
from tests.servers import deployed_env, start_daphne, start_worker, stop

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PASSWORD = "a-long-password-1"  # tests/conftest.py's staff_user
TOKEN_LIFETIME = 6  # seconds: the board renews its token (and reconnects) several times during the test


@pytest.fixture
def shop(postgres, redis_url, redis_key_prefix, transactional_db, stripe, store, ready_cart, staff_user, tmp_path):
    """A cart ready to check out, staff's API token, and the two web processes and the worker, all on Redis."""
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-board", STRIPE_API_BASE=stripe.base,
                       STAFF_TWO_FACTOR_REQUIRED="0", ADMIN_LIVE_TOKEN_LIFETIME_SECONDS=str(TOKEN_LIFETIME))
    hasher = PBKDF2PasswordHasher()  # the servers' own (the test run's fast MD5 is not one they accept)
    staff_user.password = hasher.encode(PASSWORD, hasher.salt())
    staff_user.save()
    world = SimpleNamespace(cart=ready_cart((store.shirt, 1)), staff=staff_user,
                            staff_token=tokens.sign_in(staff_user).access)
    processes = {"worker": start_worker(env, tmp_path / "worker.log")}

    def restart_board() -> None:
        """Stop the board's server, and start it again on the same address once the page has seen it gone."""
        stop(processes.pop("board"))
        yield
        processes["board"], _ = start_daphne(env, port=int(world.board.rsplit(":", 1)[1]))
        yield

    try:
        for name in ("board", "shop"):
            processes[name], base = start_daphne(env)
            setattr(world, name, base)
        world.restart_board = restart_board
        yield world
    finally:
        for process in reversed(processes.values()):
            stop(process)


@pytest.fixture
def tab(shop, tmp_path):
    """A tab of a fresh headless Chromium that may reach the board's server only, recording what it asks."""
    with chromium(tmp_path / "chromium-profile") as browser, open_tab(browser, shop.board) as tab:
        yield tab


def api(shop, query: str, *, bearer: str | None = None, **variables) -> dict:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    body = httpx.post(f"{shop.shop}/graphql/", json={"query": query, "variables": variables}, headers=headers,
                      timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


def pay(shop, stripe, client_secret: str) -> None:
    """The customer's card succeeds at Stripe, whose signed webhook reaches the shop (applied by the worker)."""
    body, signature = signed(stripe.succeed(client_secret.split("_secret_")[0]))
    response = httpx.post(f"{shop.shop}/webhooks/stripe/", content=body, headers={"Stripe-Signature": signature})
    assert response.status_code == 200


def row_shows(tab, number: str, status: str) -> None:
    tab.page.locator(f'#live-board tr[data-order-number="{number}"][data-status="{status}"]').wait_for(timeout=20_000)


def token_requests(tab) -> int:
    return sum(url.endswith("/admin/live-token/") for url in tab.requests)


def test_an_order_appears_and_changes_on_the_live_board_without_reload(shop, tab, stripe, tmp_path, artifact):
    page = tab.page
    page.goto(f"{shop.board}/admin/login/")  # no ?next=: Playwright does not route a redirect's request
    page.fill("#id_username", shop.staff.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{shop.board}/admin/")
    response = page.goto(f"{shop.board}/admin/live-board/")
    assert "script-src 'self'" in response.headers["content-security-policy"]  # a violation is a console error
    page.locator('#live-board[data-state="live"]').wait_for(timeout=20_000)
    page.evaluate("window.sameDocument = true")  # gone if anything reloads the page
    page.wait_for_timeout(1000)  # `ordersUpdated` sends nothing first: give its join of the staff group a moment

    placed = api(shop, CHECKOUT.replace("payment { status }", "payment { status clientSecret }"),
                 token=shop.cart.token)["checkoutComplete"]
    number = placed["order"]["number"]
    row_shows(tab, number, "UNPAID")

    pay(shop, stripe, placed["payment"]["clientSecret"])
    row_shows(tab, number, "PAID")

    renewed = token_requests(tab)
    deadline = time.monotonic() + 3 * TOKEN_LIFETIME
    while token_requests(tab) < renewed + 1 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert token_requests(tab) > renewed, "the board did not renew its token"
    page.locator('#live-board[data-state="live"]').wait_for(timeout=20_000)
    page.wait_for_timeout(1000)  # the renewed socket has subscribed (the old one closes 2 s after; a change both
    # carry shows once)

    fulfilled = api(shop, FULFILL, bearer=shop.staff_token, id=placed["order"]["id"])["orderFulfill"]
    assert fulfilled["errors"] == []
    row_shows(tab, number, "FULFILLED")

    restart = shop.restart_board()
    next(restart)  # the board's server goes away: the page says so, and tries again with a growing pause
    page.locator('#live-board[data-state="reconnecting"]').wait_for(timeout=20_000)
    next(restart)  # ...and comes back: the page connects and subscribes again by itself
    page.locator('#live-board[data-state="live"]').wait_for(timeout=40_000)
    page.wait_for_timeout(1000)
    assert api(shop, DELIVERED, bearer=shop.staff_token, id=placed["order"]["id"])["orderMarkDelivered"]["errors"] == []
    row_shows(tab, number, "DELIVERED")
    page.screenshot(path=tmp_path / "live-board.png", full_page=True)
    page.screenshot(path=artifact("live-board.png"), full_page=True)

    assert page.evaluate("window.sameDocument") is True

    other_tab = page.context.new_page()  # signing out of the admin elsewhere stops the board at its next renewal
    other_tab.goto(f"{shop.board}/admin/")
    other_tab.click("#logout-form button")
    page.locator('#live-board[data-state="stopped"]').wait_for(timeout=3 * TOKEN_LIFETIME * 1000)
    assert page.locator("#live-board tbody tr").count() == 1  # one row per order, however often it changed
    assert [url for url in tab.requests if not url.startswith(f"{shop.board}/")] == []
    # Chromium logs each refused attempt while the server was down; nothing else went wrong on the page.
    assert [error for error in tab.errors if "ERR_CONNECTION_REFUSED" not in error] == []
    inline_ran = page.evaluate("""() => { const script = document.createElement("script");
        script.textContent = "window.inlineRan = true"; document.body.append(script); return !!window.inlineRan; }""")
    assert inline_ran is False and "Content Security Policy" in tab.errors[-1]  # the policy held all along
