"""The staff dashboard's Customer section in headless Chromium over the demo data: a
support lead finds a customer by email or phone, or from a name in the handoff queue or
the unhappy survey answers, reads their history as the API gives it, and (an admin, with
their token) downloads the customer's data and erases them. The range presets include
today."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.support.staff_dashboard import (
    api,
    ask_for_a_person,
    sign_in,
    staff_token,
    visitor_says,
    wait_for_round,
)
from tests.support.switchboard_server import SwitchboardServer, seed_demo_data

# One server: the agent's test finds its own visitor (the newest waiting handoff) with or
# without the demo data the admin's test seeds.
pytestmark = [pytest.mark.browser, pytest.mark.one_server]


def _find(page: Page, query: str) -> None:
    page.get_by_label("Email, phone, name or web chat session (ws_...)").fill(query)
    page.get_by_role("button", name="Find").click()


def _open_from(page: Page, table: str, column: int) -> tuple[str, int]:
    """Click the customer's name in the first row of `table` (its `column`): the name
    and the customer id the Customer section then shows."""
    button = page.get_by_role("table", name=table).locator("tbody tr").first
    button = button.locator("td").nth(column).get_by_role("button")
    name = button.inner_text()
    button.click()
    status = page.locator("#customer-status")
    expect(status).to_contain_text(f"{name}, customer #")
    # Scrolled to, the section's heading shows below the sticky filters (it was under them).
    page.wait_for_function(
        "() => document.getElementById('customer-title').getBoundingClientRect().top"
        " >= document.getElementById('filters').getBoundingClientRect().bottom"
    )
    return name, int(status.inner_text().rsplit("#", 1)[1].rstrip("."))


def test_an_admin_finds_a_customer_reads_their_history_exports_and_erases_them(
    page: Page, server: SwitchboardServer, browser_output: Path
) -> None:
    seed_demo_data(server)
    token = staff_token(server, "Lee Lead", "lee@example.com", "admin")
    sign_in(page, token)
    loaded = wait_for_round(page, 0)

    # "Today" is a range of one day: today's unanswered questions are one click away.
    page.get_by_role("button", name="30 days").click()
    loaded = wait_for_round(page, loaded)
    today = page.input_value("#to")
    page.get_by_role("button", name="Today").click()
    loaded = wait_for_round(page, loaded)
    assert (page.input_value("#from"), page.input_value("#to")) == (today, today)

    # By email: the customer, their addresses and every message the API holds, in order.
    ada = api(server, token, "/api/v1/customers", email="ada@example.com")["customers"][0]
    messages = api(server, token, f"/api/v1/customers/{ada['id']}/interactions")["interactions"]
    assert messages, "the demo gives Ada a conversation"
    _find(page, "ada@example.com")
    status = page.locator("#customer-status")
    expect(status).to_have_text(f"Ada Lovelace, customer #{ada['id']}.")
    expect(page.locator("#customer-tiles")).to_contain_text("email: ada@example.com")
    shown = page.get_by_role("table", name=f"History ({len(messages)} messages, oldest first)")
    expect(shown.locator("tbody tr td:nth-child(4)")).to_have_text([m["text"] for m in messages])
    page.locator("#customer").screenshot(path=browser_output / "staff-customer.png")

    # By phone, written as people write it (the API reads it in the default region).
    _find(page, "(415) 555-0101")
    expect(status).to_have_text(f"Ada Lovelace, customer #{ada['id']}.")
    # By name, as a support lead types it.
    _find(page, "ada lovelace")
    expect(status).to_have_text(f"Ada Lovelace, customer #{ada['id']}.")
    _find(page, "nobody@example.com")
    expect(status).to_have_text("No customer matches nobody@example.com.")
    expect(page.locator("#customer-found")).to_be_hidden()

    # Sales figures for sales and admins, from the account summary: Ada's spend so far,
    # one figure per currency.
    _find(page, "ada@example.com")
    summary = api(server, token, f"/api/v1/customers/{ada['id']}/summary")
    spent = " + ".join(
        f"{round(v['total_cents'] / 100):,} {v['currency']}" for v in summary["lifetime_value"]
    )
    spend_tile = page.locator("#customer-tiles .tile").filter(has_text="spent so far")
    expect(spend_tile.locator(".figure")).to_have_text(spent)
    expect(spend_tile.locator(".label")).to_contain_text(f"{summary['order_count']} orders")

    page.get_by_role("button", name="12 months").click()
    loaded = wait_for_round(page, loaded)
    # From the leads to call first: the lead's customer, with the chance of winning it.
    _, lead_id = _open_from(page, "Leads to call first", 1)
    (lead,) = api(server, token, f"/api/v1/customers/{lead_id}/summary")["open_leads"]
    chance = page.locator("#customer-tiles .tile").filter(has_text="chance of winning")
    expect(chance.locator(".figure")).to_have_text(f"{100 * lead['win_probability']:.1f} %")
    expect(chance.locator(".label")).to_contain_text(lead["owner_name"])

    # From the unhappy survey answers: the customer's name opens them.
    name, customer_id = _open_from(page, "Unhappy survey answers (rated 1 or 2, the latest 20)", 3)

    # Exporting takes the admin's token, which the field does not keep.
    privacy = page.get_by_label("Your token, to export or erase")
    privacy.fill(token)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download their data (zip)").click()
    assert download.value.suggested_filename == f"customer-{customer_id}-export.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        held = json.loads(archive.read("customer.json"))
    assert held["customer"]["id"] == customer_id
    assert held["customer"]["name"] == name
    expect(privacy).to_have_value("")

    # A wrong token is refused with the API's reason, and nothing is erased.
    privacy.fill("sbs_not-a-token")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Erase this customer").click()
    expect(page.locator("#privacy-status")).to_have_text("Not erased: invalid token")
    assert api(server, token, f"/api/v1/customers/{customer_id}")["name"] == name

    # Declining the confirmation erases nothing either.
    asked: list[str] = []

    def decline(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    privacy.fill(token)
    page.get_by_role("button", name="Erase this customer").click()
    expect(page.locator("#privacy-status")).to_have_text("Not erased.")
    assert asked == [
        f"Erase {name} (customer #{customer_id}) everywhere Switchboard put their data? "
        "This cannot be undone."
    ]

    # Erasing: followed until it is done, then the customer is shown as the store keeps
    # them (no name, addresses replaced).
    page.once("dialog", lambda dialog: dialog.accept())
    privacy.fill(token)
    page.get_by_role("button", name="Erase this customer").click()
    expect(page.locator("#privacy-status")).to_contain_text(
        f"of {name}: done (store: done)", timeout=40_000
    )
    kept = api(server, token, f"/api/v1/customers/{customer_id}")
    assert kept["name"] is None
    expect(page.locator("#customer-tiles")).to_contain_text("Anonymous")
    # The number once ("Anonymous (customer #321), customer #321" said it twice).
    expect(page.locator("#customer-status")).to_have_text(f"Anonymous, customer #{customer_id}.")
    erasures = httpx.get(
        f"{server.base_url}/api/v1/audit",
        params={"customer_id": customer_id},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()["entries"]
    assert {entry["action"] for entry in erasures} >= {"export", "erase"}

    # Signing out leaves nothing of the customer in the page.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#customer-history")).to_be_empty()


def test_an_agent_opens_a_waiting_customer_and_cannot_export_or_erase(
    page: Page, server: SwitchboardServer
) -> None:
    ask_for_a_person(server, {"name": "Rae"})
    token = staff_token(server, "Priya Agent", "priya@example.com", "agent")
    sign_in(page, token)
    wait_for_round(page, 0)
    waiting = page.locator("#handoffs-waiting")
    waiting.locator("tbody tr").filter(has_text="Rae").get_by_role("button", name="Rae").click()
    rae = api(server, token, "/api/v1/handoffs", state="waiting")["handoffs"][0]["customer"]
    expect(page.locator("#customer-status")).to_have_text(f"Rae, customer #{rae['id']}.")
    history = page.locator("#customer-history tbody tr")
    expect(history.first.locator("td").nth(3)).to_have_text("I want to talk to a person")
    expect(history.first.locator("td").nth(1)).to_have_text("web chat")
    # Export and erasure are for admins (the API refuses others): not offered.
    expect(page.locator("#customer-privacy")).to_be_hidden()


def test_an_anonymous_visitor_is_found_by_their_web_chat_session(
    page: Page, server: SwitchboardServer
) -> None:
    # No name, email or phone to type: the session id the widget was given finds them.
    session = visitor_says(server, {}, "do you ship to canada")
    token = staff_token(server, "Sol Agent", "sol@example.com", "agent")
    (visitor,) = api(server, token, "/api/v1/customers", web_session=session["session_id"])[
        "customers"
    ]
    sign_in(page, token)
    wait_for_round(page, 0)

    _find(page, session["session_id"])

    expect(page.locator("#customer-status")).to_contain_text(f"customer #{visitor['id']}.")
    history = page.locator("#customer-history tbody tr")
    expect(history.first.locator("td").nth(3)).to_have_text("do you ship to canada")
