"""The demo page under its Content-Security-Policy, in headless Chromium: the widget
loads (its styles by the page's nonce), talks over its WebSocket and the REST API, and
the browser reports no CSP violation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, expect

from tests.support.widget_page import GREETING_REPLY, bot_reply, send, widget

if TYPE_CHECKING:
    from .conftest import SwitchboardServer

pytestmark = pytest.mark.browser

# Recorded from the first script of every document, before the page's own.
_WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
}, true);
"""
BRAND_GREEN = "rgb(11, 110, 79)"  # data-color="#0b6e4f" on the demo page


def test_the_widget_works_on_the_demo_page_with_no_csp_violation(
    browser: Browser, server: SwitchboardServer
) -> None:
    context = browser.new_context(base_url=server.base_url)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(_WATCH_VIOLATIONS)
    try:
        response = page.goto("/")
        assert response is not None
        assert "'nonce-" in response.headers["content-security-policy"]

        page.get_by_role("button", name="Open chat").click()
        expect(widget(page)).to_have_attribute("data-state", "online")  # the WebSocket
        send(page, "hello")
        expect(bot_reply(page, GREETING_REPLY)).to_have_count(1)

        # The widget's own <style> applied: the bubble wears the page's brand colour.
        bubble = page.get_by_role("button", name="Close chat").or_(
            page.get_by_role("button", name="Open chat: Acme support")
        )
        expect(bubble.first).to_be_visible()
        colour = page.evaluate(
            """() => getComputedStyle(document.querySelector('#switchboard-widget')
                .shadowRoot.querySelector('.bubble')).backgroundColor"""
        )
        assert colour == BRAND_GREEN
        # The page's stylesheet applied too (the demo.css body background).
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == (
            "rgb(244, 239, 230)"
        )
        violations = page.evaluate("() => window.__cspViolations")
    finally:
        context.close()
    assert violations == []
    assert not [line for line in console if "Content Security Policy" in line], console
    # Everything the page asks for is there (a browser asks for /favicon.ico unless told).
    assert not [line for line in console if "Failed to load resource" in line], console
