"""The admin's dashboard in a real browser: a staff member signs in and sees the KPI tiles and the revenue chart,
drawn by the server as SVG (no script, nothing from elsewhere); the screenshot is kept in var/artifacts."""
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from commerce.accounts.models import User
from commerce.orders.demo import seed_orders
from tests.browser.conftest import chromium, open_tab

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL, PASSWORD = "dashboard-staff@example.com", "a-long-password-1"


@pytest.fixture
def history(transactional_db):
    """Two months of orders and a staff member, committed for the server to read (the test's database is flushed
    after it, as every transactional test's)."""
    seed_orders(300, days=60, batch=100)
    # hashed as the deployed server checks it (the tests' settings hash with MD5, which it does not accept)
    User.objects.create_user(EMAIL, is_staff=True, is_superuser=True, password=None)
    User.objects.filter(email=EMAIL).update(password=PBKDF2PasswordHasher().encode(PASSWORD, "dashboardsalt"))


@pytest.fixture
def tab(history, site, tmp_path):
    """A browser of this test's own, started after the data is written: Django refuses database calls beside
    Playwright's event loop, so the module's shared browser (started before any function's fixture) cannot be
    used with a transactional database."""
    with chromium(tmp_path / "chromium-profile") as browser, open_tab(browser, site) as tab:
        yield tab


def test_the_dashboard_renders_its_tiles_and_chart(history, tab, site, artifact):
    page = tab.page
    page.goto(f"{site}/admin/login/?next=/admin/")
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")
    chart = page.locator("svg#sales-chart")
    chart.wait_for(state="visible")
    page.screenshot(path=artifact("admin-dashboard.png"), full_page=True)
    assert page.locator(".kpi").count() == 18
    assert page.locator(".kpi-period h3").all_inner_texts()[0].startswith("Today")
    assert chart.locator("rect.bar").count() == 30
    assert chart.locator("title").first.text_content().startswith("Revenue (USD) and orders, last 30 days")
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    assert sum(1 for h in chart.locator("rect.bar").evaluate_all("bars => bars.map(b => b.getBBox().height)") if h > 0) > 20
    assert page.locator("#waiting-to-ship tbody tr").count() >= 1 and page.locator("#live-board").count() == 1
    assert [url for url in tab.requests if not url.startswith(f"{site}/")] == []
    assert tab.errors == []
