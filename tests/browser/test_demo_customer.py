"""The demo page's "continue as a demo customer": the page signs the identity the way a
host site's server would, and the widget can then answer order questions from the store."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from tests.support.switchboard_server import seed_demo_data
from tests.support.widget_page import bot_reply, send

if TYPE_CHECKING:
    from tests.support.switchboard_server import SwitchboardServer

pytestmark = pytest.mark.browser


def test_continuing_as_ada_answers_her_order_from_the_store(
    page: Page, server: SwitchboardServer
) -> None:
    seed_demo_data(server)
    page.goto("/")
    page.get_by_role("link", name="Ada Lovelace", exact=False).click()
    page.get_by_role("button", name="Open chat").click()
    expect(page.locator("#switchboard-widget")).to_have_attribute("data-state", "online")

    send(page, "where is my order 4417?")
    expect(bot_reply(page, "Order 4417 is on its way")).to_have_count(1)

    # An anonymous visitor on the same page asking the same is not told anything.
    page.goto("/")
    page.get_by_role("link", name="anonymous visitor").click()
    page.get_by_role("button", name="Open chat").click()
    send(page, "where is my order 4417?")
    expect(bot_reply(page, "For your privacy")).to_have_count(1)
