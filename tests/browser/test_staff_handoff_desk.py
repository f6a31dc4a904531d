"""Answering a handoff from the staff dashboard, with no Slack: a web chat visitor asks
for a person, an agent opens the handoff in the queue, claims it, replies and resolves
it; a second agent sees it claimed and gets no reply box; a refusal's reason is shown.
What the customer got is read on the server (the widget API), not from the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import EXPECT_TIMEOUT_MS
from tests.support.staff_dashboard import (
    PAST_THE_EDGE,
    api,
    ask_for_a_person,
    sign_in,
    staff_token,
    wait_for_round,
)
from tests.support.switchboard_server import SwitchboardServer

pytestmark = pytest.mark.browser


def _conversation(server: SwitchboardServer, widget_token: str) -> list[dict[str, Any]]:
    """The visitor's conversation as the widget reads it."""
    answer = httpx.get(
        f"{server.base_url}/api/v1/webchat/messages",
        params={"after": 0},
        headers={"Authorization": f"Bearer {widget_token}"},
        timeout=30,
    )
    answer.raise_for_status()
    return list(answer.json()["messages"])


def _write(server: SwitchboardServer, widget_token: str, number: str, text: str) -> None:
    said = httpx.post(
        f"{server.base_url}/api/v1/webchat/messages",
        json={"client_message_id": number, "text": text},
        headers={"Authorization": f"Bearer {widget_token}"},
        timeout=60,
    )
    assert said.status_code == 200, said.text


def _open(page: Page, handoff_id: int) -> None:
    page.get_by_role("button", name=f"Open handoff #{handoff_id}").click()
    expect(page.locator("#handoff-desk")).to_be_visible()


def _use_token(page: Page, token: str) -> None:
    page.get_by_label("Your token, to claim and reply").fill(token)
    page.get_by_role("button", name="Use this token").click()
    expect(page.locator("#handoff-status")).to_have_text("Token accepted for this page.")


def test_an_agent_answers_a_handoff_in_the_dashboard_and_a_colleague_cannot(
    page: Page, browser: Browser, server: SwitchboardServer, browser_output: Path
) -> None:
    visitor = ask_for_a_person(server, {"name": "Rae"})
    priya = staff_token(server, "Priya Agent", "priya@example.com", "agent")
    omar = staff_token(server, "Omar Agent", "omar@example.com", "agent")
    (waiting,) = api(server, priya, "/api/v1/handoffs", state="waiting")["handoffs"]
    handoff_id = waiting["id"]

    # Omar opens it first, in his own browser; his view is then held as it was (waiting,
    # with Claim) while Priya claims it, so his Claim meets the API's refusal.
    omar_context = browser.new_context(base_url=server.base_url)
    omar_context.set_default_timeout(EXPECT_TIMEOUT_MS)
    omar_page = omar_context.new_page()
    stale: dict[str, Any] = {}

    def hold_the_view(route: Route) -> None:
        if route.request.method == "GET" and "packet" in stale:
            route.fulfill(json=stale["packet"])
        else:
            route.continue_()

    omar_page.route(f"**/api/v1/handoffs/{handoff_id}", hold_the_view)
    sign_in(omar_page, omar)
    wait_for_round(omar_page, 0)
    _open(omar_page, handoff_id)
    expect(omar_page.locator("#handoff-holder")).to_have_text(
        "Waiting for a person: claim it to reply."
    )
    _use_token(omar_page, omar)
    stale["packet"] = api(server, omar, f"/api/v1/handoffs/{handoff_id}")

    # Priya opens it: the conversation so far, as text, and a Claim button.
    sign_in(page, priya)
    wait_for_round(page, 0)
    _open(page, handoff_id)
    desk = page.locator("#handoff-desk")
    expect(page.locator("#handoff-title")).to_have_text(f"Handoff #{handoff_id}: Rae")
    messages = page.get_by_role("log", name="Conversation").locator("li")
    expect(messages.filter(has_text="I want to talk to a person")).to_have_count(1)
    expect(desk.get_by_role("textbox", name="Your message")).to_be_hidden()
    # Claiming takes her token (the session cookie only reads): asked for, not guessed.
    desk.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator("#handoff-error")).to_contain_text("Your token is needed")
    expect(page.get_by_label("Your token, to claim and reply")).to_be_focused()
    # A colleague's token is not hers.
    page.get_by_label("Your token, to claim and reply").fill(omar)
    page.get_by_role("button", name="Use this token").click()
    expect(page.locator("#handoff-error")).to_have_text(
        "That is Omar Agent's token, not yours: sign in as them to answer as them."
    )
    _use_token(page, priya)
    desk.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator("#handoff-holder")).to_contain_text("You have claimed it")
    reply_box = desk.get_by_role("textbox", name="Your message")
    expect(reply_box).to_be_focused()
    expect(desk.get_by_role("button", name="Claim", exact=True)).to_be_hidden()
    expect(page.locator("#handoffs-claimed")).to_contain_text("Claimed (1)")

    # Omar's held view still offers Claim: the API refuses it, and the page says why.
    omar_page.get_by_role("button", name="Claim", exact=True).click()
    expect(omar_page.locator("#handoff-error")).to_have_text(
        "Refused (409): already claimed by Priya Agent"
    )
    # Once his view is read again, he sees who has it and no reply box.
    del stale["packet"]
    expect(omar_page.locator("#handoff-holder")).to_have_text(
        "Claimed by Priya Agent: only they can reply."
    )
    omar_desk = omar_page.locator("#handoff-desk")
    expect(omar_desk.get_by_role("textbox", name="Your message")).to_be_hidden()
    expect(omar_desk.get_by_role("button", name="Claim", exact=True)).to_be_hidden()
    expect(omar_desk.get_by_role("button", name="Resolve", exact=True)).to_be_hidden()

    # A double click on Send sends one reply; the customer's conversation holds it once.
    reply = (
        "Hi Rae, _Priya_ here. <b>Let me look</b> at **your order**: "
        "[the tracking page](https://track.example/1042), order_id 1042."
    )
    reply_box.fill(reply)
    desk.get_by_role("button", name="Send to the customer").dblclick()
    expect(page.locator("#handoff-status")).to_have_text("Sent to the customer.")
    expect(reply_box).to_have_value("")
    # The desk reads the Markdown as plain text; the customer gets it as written.
    read = (
        "Hi Rae, Priya here. <b>Let me look</b> at your order: "
        "the tracking page (https://track.example/1042), order_id 1042."
    )
    expect(messages.filter(has_text=read)).to_have_count(1)
    said = [m for m in _conversation(server, visitor) if m["text"] == reply]
    assert [m["author"] for m in said] == ["agent"]
    # Shown as text, never as markup.
    assert desk.locator("b, img, a").count() == 0

    # An internal note goes on the ticket, never to the customer.
    reply_box.fill("Customer seems upset about order 1042")
    desk.get_by_role("button", name="Add an internal note").click()
    expect(page.locator("#handoff-status")).to_have_text(
        "Note added to the handoff's ticket (not sent to the customer)."
    )
    assert not [m for m in _conversation(server, visitor) if "upset" in m["text"]]

    # The customer writes again: it appears without reloading (the view reads the handoff
    # every few seconds), as text.
    _write(server, visitor, "2", "<img src=x> my parcel is late")
    expect(messages.filter(has_text="<img src=x> my parcel is late")).to_have_count(1)
    assert desk.locator("img").count() == 0
    page.screenshot(path=browser_output / "staff-handoff-desk.png", full_page=True)

    # Omar cannot resolve it either, through the API (403 with the reason).
    refused = httpx.post(
        f"{server.base_url}/api/v1/handoffs/{handoff_id}/resolve",
        headers={"Authorization": f"Bearer {omar}"},
        timeout=30,
    )
    assert refused.status_code == 403, refused.text

    # Priya resolves it: the customer is told, the queue empties.
    desk.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.locator("#handoff-holder")).to_have_text(
        "This handoff is resolved: nothing more to do here."
    )
    expect(reply_box).to_be_hidden()
    expect(desk.get_by_role("button", name="Resolve", exact=True)).to_be_hidden()
    assert api(server, priya, f"/api/v1/handoffs/{handoff_id}")["status"] == "resolved"
    expect(page.locator("#handoffs-claimed")).to_contain_text("Claimed (0)")
    assert [m["text"] for m in _conversation(server, visitor)].count(reply) == 1
    omar_context.close()


def test_the_handoff_view_fits_a_phone_and_forgets_the_token_at_sign_out(
    page: Page, server: SwitchboardServer, browser_output: Path
) -> None:
    ask_for_a_person(server, {"name": "Rae"})
    token = staff_token(server, "Nia Narrow", "nia@example.com", "agent")
    (waiting,) = api(server, token, "/api/v1/handoffs", state="waiting")["handoffs"]
    page.set_viewport_size({"width": 390, "height": 900})
    sign_in(page, token)
    wait_for_round(page, 0)
    _open(page, waiting["id"])
    _use_token(page, token)
    page.locator("#handoff-desk").get_by_role("button", name="Claim", exact=True).click()
    expect(page.get_by_role("textbox", name="Your message")).to_be_visible()
    assert page.evaluate(PAST_THE_EDGE) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#handoff-desk").screenshot(path=browser_output / "staff-handoff-desk-390px.png")

    # Signing out closes the view and forgets the token: signed in again in the same page
    # (no reload), it is asked for.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#handoff-desk")).to_be_hidden()
    page.get_by_label("Staff token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    wait_for_round(page, 1)
    _open(page, waiting["id"])
    expect(page.locator("#handoff-holder")).to_contain_text("You have claimed it")
    expect(page.get_by_label("Your token, to claim and reply")).to_be_visible()
    page.get_by_role("textbox", name="Your message").fill("Still there?")
    page.get_by_role("button", name="Send to the customer").click()
    expect(page.locator("#handoff-error")).to_contain_text("Your token is needed")
