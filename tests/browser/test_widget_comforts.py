"""The widget's comforts: the status line follows business hours, URLs in answers are
links, and on a phone the open chat fills the screen."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect
from sqlalchemy import select

from crm_store import Database
from crm_store.models import Order
from tests.support.prepared import PreparedState
from tests.support.switchboard_server import SwitchboardServer, demo_server, seed_demo_data
from tests.support.widget_page import bot_reply, send

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, prepared: PreparedState
) -> Iterator[SwitchboardServer]:
    """One server for the module's tests (each a visitor of its own), with business hours
    that are never open: every day opens and closes at 09:00 in New York, so people are
    always "back" at a next 09:00."""
    hours = {
        "SWITCHBOARD_SUPPORT__WEEKDAYS": "[0, 1, 2, 3, 4, 5, 6]",
        "SWITCHBOARD_SUPPORT__OPENS": "09:00",
        "SWITCHBOARD_SUPPORT__CLOSES": "09:00",
        "SWITCHBOARD_SUPPORT__TIMEZONE": "America/New_York",
    }
    with demo_server(tmp_path_factory.mktemp("comforts") / "var", prepared, hours) as running:
        yield running


def test_outside_hours_the_status_says_when_people_are_back(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Open chat").click()
    status = page.locator("#switchboard-widget .status")
    expect(status).to_have_text(
        re.compile(r"^Bot online · people back (Mon|Tue|Wed|Thu|Fri|Sat|Sun) 09:00 E[SD]T$")
    )
    expect(status).to_have_attribute("data-people", "away")
    send(page, "hello")  # the bot still answers
    expect(bot_reply(page, "How can I help you today?")).to_have_count(1)


def test_a_tracking_url_in_an_answer_is_a_safe_link(page: Page, server: SwitchboardServer) -> None:
    seed_demo_data(server)
    database = Database(f"sqlite:///{server.data_dir / 'switchboard.db'}")
    try:
        with database.transaction() as session:
            tracking = session.scalars(
                select(Order.tracking_url).where(Order.number == "4417")
            ).one()
    finally:
        database.dispose()
    assert tracking and tracking.startswith("https://")
    page.goto("/")
    page.get_by_role("link", name="Ada Lovelace", exact=False).click()
    page.get_by_role("button", name="Open chat").click()

    send(page, "where is my order 4417?")

    link = bot_reply(page, "Order 4417 is on its way").get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", tracking)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_text(tracking)


def test_on_a_phone_the_open_chat_fills_the_screen(
    browser: Browser, server: SwitchboardServer
) -> None:
    context = browser.new_context(base_url=server.base_url, viewport={"width": 375, "height": 812})
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_role("button", name="Open chat").click()
        panel = page.get_by_role("dialog")
        expect(panel).to_be_visible()
        assert panel.bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 812}
        page.get_by_role("button", name="Close chat").click()
        expect(panel).to_be_hidden()
        expect(page.get_by_role("button", name="Open chat")).to_be_visible()
    finally:
        context.close()


def test_quick_replies_are_buttons_and_a_tap_sends_the_reply(
    page: Page, server: SwitchboardServer
) -> None:
    """A bot message with `choices` (the router's "which did you mean?") shows them as
    buttons; a tap sends the choice's reply as if typed, and the buttons go. The choices
    are put on the bot's reply to "hello" on its way to the page: which questions the
    router asks back depends on the help centre, the buttons only on the frame.

    The text lists the choices as numbered lines (for SMS and mail): while the buttons
    show, the widget shows the text without those lines, each number on its button; once
    the buttons go, the text is whole again. Choices the text does not number (a
    survey's 1 to 5) are buttons with their labels alone."""
    listed = (
        "One of these might help:\n1. Return policy\n2. Start a return\n"
        "Reply with the number, or ask in other words."
    )
    ratings = "How did we do? Reply with a number from 1 (poor) to 5 (great)."
    # What the next bot replies carry to the page: the numbered list, then the ratings.
    injected = [
        (
            listed,
            [{"label": "Return policy", "reply": "1"}, {"label": "Start a return", "reply": "2"}],
        ),
        (ratings, [{"label": str(n), "reply": str(n)} for n in range(1, 6)]),
    ]

    def relay(route: WebSocketRoute) -> None:
        upstream = route.connect_to_server()

        def to_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "message" and frame.get("author") == "bot" and injected:
                frame["text"], frame["choices"] = injected.pop(0)
            route.send(json.dumps(frame))

        upstream.on_message(to_page)
        route.on_message(upstream.send)

    page.route_web_socket(re.compile(r"/api/v1/webchat/ws$"), relay)
    page.goto("/")
    page.get_by_role("button", name="Open chat").click()
    send(page, "hello")

    log = page.get_by_role("log")
    expect(log.get_by_role("button", name="1 Return policy")).to_be_visible()
    offer = log.locator('.msg[data-author="bot"]').filter(has_text="One of these might help")
    expect(offer.locator(".text.unlisted")).to_be_visible()
    expect(offer.locator(".text.unlisted")).not_to_contain_text("Return policy")
    expect(offer.locator(".text.unlisted")).to_contain_text("Reply with the number")
    expect(offer.locator(".text.listed")).to_be_hidden()
    log.get_by_role("button", name="Start a return").click()
    expect(offer.locator(".text.listed")).to_be_visible()
    expect(offer.locator(".text.listed")).to_contain_text("2. Start a return")
    expect(offer.locator(".text.unlisted")).to_be_hidden()

    # Sent as typed, and stored by the server (a stored message carries its seq).
    sent = log.locator(".msg.mine[data-seq]").filter(has_text=re.compile(r"^2$"))
    expect(sent).to_have_count(1)
    expect(log.get_by_role("button", name="Start a return")).to_have_count(0)

    # The reply to "2" carries the ratings: each button says its number once.
    survey = log.locator('.msg[data-author="bot"]').filter(has_text="How did we do?")
    expect(survey.get_by_role("button")).to_have_count(5)
    expect(survey.get_by_role("button", name="5", exact=True)).to_be_visible()
    expect(survey.locator(".choices")).to_have_text("12345")
    expect(survey.locator(".text.unlisted")).to_have_count(0)
