"""The pages a person opens in a browser: the admin's login and GraphiQL, each fully styled and working from the
server's own files (project/files.py), with no request anywhere else."""
import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js)$")


def test_the_admin_login_page_renders_styled(tab, site, artifact):
    response = tab.page.goto(f"{site}/admin/login/")
    assert response.status == 200
    tab.page.screenshot(path=artifact("admin-login.png"), full_page=True)
    header = tab.page.locator("#header")
    # The admin's base.css paints the header in its --header-bg (#417690); unstyled, it is transparent.
    assert header.evaluate("element => getComputedStyle(element).backgroundColor") == "rgb(65, 118, 144)"
    sheets = tab.page.evaluate("[...document.styleSheets].map(sheet => sheet.href).filter(Boolean)")
    assert sheets and all(HASHED.search(href) for href in sheets), sheets
    assert [url for url in tab.requests if not url.startswith(f"{site}/")] == []
    assert tab.errors == []


def test_graphiql_renders_its_editor_with_no_network_beyond_the_server(tab, site, artifact):
    response = tab.page.goto(f"{site}/graphql/")
    assert response.status == 200
    editor = tab.page.locator(".graphiql-query-editor .CodeMirror")
    editor.wait_for(state="visible", timeout=20_000)
    tab.page.screenshot(path=artifact("graphiql.png"))
    assert "Loading..." not in tab.page.locator("#graphiql").inner_text()
    assert [url for url in tab.requests if not url.startswith(f"{site}/")] == []
    scripts = [url for url in tab.requests if url.endswith(".js")]
    assert len(scripts) == 5 and all(HASHED.search(url) for url in scripts), scripts
    assert tab.errors == []
