"""Real pages in a real browser: Debian's Chromium driven by Playwright, against daphne as deployed.

Never a browser of Playwright's own (`playwright install` downloads one): Debian's package at /usr/bin/chromium,
which `.ci/run` installs when it is missing. Without it, or without Playwright, these tests are skipped locally and
fail in CI, as the services' tests are (tests/conftest.py). Playwright's sync API runs an event loop in the test
thread, where Django then refuses database calls: the server (and the test database) come up before the browser,
and the tests themselves use no database.
"""
import os
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from tests.conftest import _missing
from tests.servers import ROOT, deployed_env, start_daphne, stop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "var" / "artifacts"  # screenshots, kept after the run


@pytest.fixture(scope="module")
def site(django_db_setup, redis_key_prefix):
    """One daphne as deployed (DEBUG off, so pages ask for hashed static names), with GraphiQL and introspection
    turned on, as a developer turns them on."""
    services = {"REDIS_KEY_PREFIX": redis_key_prefix} if settings.REDIS_URL else {"REDIS_URL": ""}
    process, base = start_daphne(deployed_env(GRAPHIQL_ENABLED="1", GRAPHQL_INTROSPECTION="1", **services))
    yield base
    stop(process)


@contextmanager
def chromium(profile: Path):
    """Headless Chromium with a fresh profile, so nothing cached from another run answers for the server."""
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, color_scheme="light",
        )
        yield context
        context.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@contextmanager
def open_tab(browser, site: str):
    """A new tab that records every request it makes and lets through only those to the server's own origin."""
    page = browser.new_page()
    tab = SimpleNamespace(page=page, requests=[], errors=[])

    def route(route):
        tab.requests.append(route.request.url)
        if route.request.url.startswith(f"{site}/"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and tab.errors.append(message.text))
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    page.close()


@pytest.fixture
def tab(site, browser):
    with open_tab(browser, site) as tab:
        yield tab


@pytest.fixture
def artifact():
    """The path of an artifact file under var/artifacts (gitignored), kept for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return lambda name: ARTIFACTS / name
