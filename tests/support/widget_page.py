"""Driving the chat widget on a page, as a visitor would (Playwright)."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

# The demo NLU's answer to a greeting.
GREETING_REPLY = "How can I help you today?"


def widget(page: Page) -> Locator:
    return page.locator("#switchboard-widget")


def bot_reply(page: Page, text: str) -> Locator:
    return page.get_by_role("log").locator('.msg[data-author="bot"][data-seq]', has_text=text)


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
