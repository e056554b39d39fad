"""The order-tracking page in a real browser: a customer opens the link of their order email, and watches the order
become PAID and then FULFILLED, with its carrier's tracking link, without reload, in English and in French, while
the page's server goes away and comes back underneath (the page's own client reconnects and subscribes again).

Two daphne processes and a job worker on the run's Redis, as deployed: the page's server hears of the payment (a
Stripe webhook posted to the shop's server, applied by the worker) and of the shipping (staff's API call to the
shop's server) only through the Redis channel layer. The world is made before Chromium starts (Playwright's event
loop would refuse database calls in the test thread); the test speaks to the servers only over HTTP.
"""
from types import SimpleNamespace

import httpx
import pytest

from commerce.accounts import tokens
from tests.browser.conftest import chromium, open_tab
from tests.fake_stripe import signed
from tests.orders.conftest import CHECKOUT, FULFILL
from tests.servers import deployed_env, start_daphne, start_worker, stop

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

LIVE = 'main #tracking[data-state="live"]'


@pytest.fixture
def shop(postgres, redis_url, redis_key_prefix, transactional_db, stripe, store, ready_cart, staff_user, tmp_path):
    """A cart ready to check out, staff's API token, the page's server, the shop's server and a worker."""
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-track", STRIPE_API_BASE=stripe.base)
    world = SimpleNamespace(cart=ready_cart((store.shirt, 2)), staff_token=tokens.sign_in(staff_user).access)
    processes = {"worker": start_worker(env, tmp_path / "worker.log")}

    def restart_page_server():
        """Stop the page's server, and start it again on the same address once the page has seen it gone."""
        stop(processes.pop("page"))
        yield
        processes["page"], _ = start_daphne(env, port=int(world.page.rsplit(":", 1)[1]))
        yield

    try:
        for name in ("page", "shop"):
            processes[name], base = start_daphne(env)
            setattr(world, name, base)
        world.restart_page_server = restart_page_server
        yield world
    finally:
        for process in reversed(processes.values()):
            stop(process)


def api(shop, query: str, *, bearer: str | None = None, **variables) -> dict:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    body = httpx.post(f"{shop.shop}/graphql/", json={"query": query, "variables": variables}, headers=headers,
                      timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


def shows(tab, status: str, timeout: float = 20) -> None:
    tab.page.locator(f'#tracking[data-status="{status}"]').wait_for(timeout=timeout * 1000)


@pytest.mark.timeout(300)  # three processes to start, and one to restart, on a shared machine
def test_the_page_follows_the_order_live_in_the_readers_language(shop, stripe, tmp_path, artifact):
    placed = api(shop, CHECKOUT.replace("payment { status }", "payment { status clientSecret }"),
                 token=shop.cart.token)["checkoutComplete"]
    link = f"{shop.page}/orders/{placed['order']['token']}/"

    with chromium(tmp_path / "profile") as browser, open_tab(browser, shop.page) as tab, \
            open_tab(browser, shop.page) as french:
        response = tab.page.goto(link)
        headers = response.headers
        assert "script-src 'self'" in headers["content-security-policy"]  # a violation would be a console error
        assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "private, no-store"
        french.page.set_extra_http_headers({"Accept-Language": "fr-FR,fr;q=0.9"})
        french.page.set_viewport_size({"width": 320, "height": 900})
        french.page.goto(link)
        for page in (tab.page, french.page):
            page.locator(LIVE).wait_for(timeout=20_000)
            page.locator("#tracking[data-last-event]").wait_for(timeout=20_000)  # subscribed: its first message
            page.evaluate("window.sameDocument = true")  # gone if anything reloads the page
        assert tab.page.locator('[data-field="status"]').inner_text() == "Awaiting payment"
        assert french.page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scrolling

        body, signature = signed(stripe.succeed(placed["payment"]["clientSecret"].split("_secret_")[0]))
        paid = httpx.post(f"{shop.shop}/webhooks/stripe/", content=body, headers={"Stripe-Signature": signature})
        assert paid.status_code == 200  # the worker applies it, the page's server hears through Redis
        shows(tab, "PAID")
        shows(french, "PAID")
        assert tab.page.locator('[data-field="status"]').inner_text() == "Paid"
        assert tab.page.locator("[role=status][aria-live=polite]").inner_text() == "Order status: Paid. Payment: Paid."
        assert french.page.locator('[data-field="status"]').inner_text() == "Payée"
        assert "Paiement reçu" in french.page.locator("[data-timeline]").inner_text()

        restart = shop.restart_page_server()
        next(restart)  # the page's server goes away: its socket drops, the page says so and tries again
        tab.page.locator('#tracking[data-state="reconnecting"]').wait_for(timeout=20_000)
        assert tab.page.locator("[data-live-state]").inner_text() == "Connection lost, reconnecting…"
        next(restart)  # ...and comes back: the page connects and subscribes again by itself
        for page in (tab.page, french.page):
            page.locator(LIVE).wait_for(timeout=40_000)
        tab.page.wait_for_timeout(1000)  # the new subscription's first message (the current state) is in

        shipped = api(shop, FULFILL, bearer=shop.staff_token, id=placed["order"]["id"])["orderFulfill"]
        assert shipped["errors"] == []
        shows(tab, "FULFILLED")
        shows(french, "FULFILLED")
        tracking_link = tab.page.locator('[data-shipments] a[data-field="tracking-link"]')
        assert tracking_link.get_attribute("href") == "https://track.example/JD0001"
        assert tracking_link.get_attribute("rel") == "noreferrer noopener"
        assert tab.page.locator('[data-field="carrier"]').inner_text() == "DHL"
        assert tab.page.locator('[data-field="status"]').inner_text() == "Shipped"
        assert french.page.locator('[data-field="status"]').inner_text() == "Expédiée"
        assert tab.page.locator("[data-no-shipments]").is_hidden()
        steps = tab.page.locator("[data-timeline] li").evaluate_all("items => items.map(i => i.dataset.type)")
        assert steps == ["PLACED", "PAYMENT_SUCCEEDED", "FULFILLED"]
        tab.page.screenshot(path=artifact("tracking-page.png"), full_page=True)
        french.page.screenshot(path=artifact("tracking-page-fr-320.png"), full_page=True)

        for page, record in ((tab.page, tab), (french.page, french)):
            assert page.evaluate("window.sameDocument") is True
            assert [url for url in record.requests if not url.startswith(f"{shop.page}/")] == []
            # Chromium logs each refused attempt while the server was down; nothing else went wrong on the page.
            assert [error for error in record.errors if "ERR_CONNECTION_REFUSED" not in error] == []
        inline_ran = tab.page.evaluate("""() => { const script = document.createElement("script");
            script.textContent = "window.inlineRan = true"; document.body.append(script); return !!window.inlineRan; }""")
        assert inline_ran is False and "Content Security Policy" in tab.errors[-1]  # the policy held all along

