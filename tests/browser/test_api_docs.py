"""The API docs page in headless Chromium with every request to another server refused:
Swagger UI is served by Switchboard itself, so the operations still render, and the page
breaks none of its own Content-Security-Policy."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route, expect

if TYPE_CHECKING:
    from tests.support.switchboard_server import SwitchboardServer

pytestmark = pytest.mark.browser

_WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
}, true);
"""


def test_the_docs_render_the_operations_with_no_request_leaving_the_machine(
    browser: Browser, server: SwitchboardServer
) -> None:
    context = browser.new_context(base_url=server.base_url)
    own_host = urlsplit(server.base_url).netloc
    refused: list[str] = []

    def only_this_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    page.add_init_script(_WATCH_VIOLATIONS)
    try:
        page.goto("/docs")
        expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)
        expect(
            page.locator(".opblock-summary-path", has_text="/api/v1/tickets").first
        ).to_be_visible()
        assert page.locator(".opblock").count() > 20
        assert refused == []
        assert page.evaluate("() => window.__cspViolations") == []
    finally:
        context.close()
