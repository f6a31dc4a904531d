"""The staff dashboard in headless Chromium over the demo data: signing in, the charts
drawn with the API's numbers, filters that change them, CSV downloads of the tables,
what each role sees, and the handoff queue. Screenshots go to the browser tests'
output folder (test-results/browser/)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.staff_dashboard import (
    api,
    chart,
    sign_in,
    staff_token,
    support_report_in_the_agreed_shape,
    wait_for_round,
)
from tests.support.switchboard_server import SwitchboardServer, seed_demo_data

pytestmark = pytest.mark.browser


def _grid(rfm: dict[str, Any]) -> list[list[int]]:
    """The API's RFM cells as the heatmap's rows: frequency score up, recency across."""
    cells = {(c["recency_score"], c["frequency_score"]): c["customers"] for c in rfm["cells"]}
    return [[cells[(r, f)] for r in range(1, 6)] for f in range(1, 6)]


def _csv(page: Page, button: str) -> list[dict[str, str]]:
    with page.expect_download() as download:
        page.get_by_role("button", name=f"Download CSV: {button}").click()
    with Path(download.value.path()).open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _filters(page: Page, **extra: str) -> dict[str, str]:
    found = {"from": page.input_value("#from"), "to": page.input_value("#to")}
    return found | extra


def test_an_admin_reads_the_charts_with_the_apis_numbers_and_filters_them(
    page: Page, server: SwitchboardServer, browser_output: Path
) -> None:
    seed_demo_data(server)  # seeds, then refits the analytics
    token = staff_token(server, "Mia Manager", "mia@example.com", "admin")
    sign_in(page, token)
    loaded = wait_for_round(page, 0)
    expect(page.locator("#who-role")).to_have_text("admin")

    everyone = _filters(page)  # the default range: the last 12 months
    rfm = api(server, token, "/api/v1/analytics/rfm", **everyone)
    drawn = chart(page, "chart-rfm")[0]["z"]
    assert drawn == _grid(rfm)
    assert sum(map(sum, drawn)) >= 100, "the demo has a year of buyers to show"
    value = api(server, token, "/api/v1/analytics/lifetime-value", **everyone)
    assert value["customers"] > 50, "the demo data gets a lifetime-value fit"
    assert chart(page, "chart-value")[0]["y"] == [b["customers"] for b in value["buckets"]]
    segments = api(server, token, "/api/v1/analytics/segments", **everyone)
    assert chart(page, "chart-segments")[0]["y"] == [s["customers"] for s in segments["segments"]]
    leads = api(server, token, "/api/v1/analytics/lead-scores", **everyone)
    assert chart(page, "chart-owners")[0]["x"] == [o["expected_wins"] for o in leads["owners"]]
    probabilities = [lead["probability"] for lead in leads["leads"]]
    assert len(set(probabilities)) > 3, "the demo's closed leads let scoring tell leads apart"
    best = leads["leads"][0]
    first_row = page.get_by_role("table", name="Leads to call first").locator("tbody tr").first
    expect(first_row).to_contain_text(best["customer"]["name"])
    expect(first_row).to_contain_text(best["factors"][0]["field"])

    support = httpx.get(
        f"{server.base_url}/api/v1/reports/support",
        params=everyone,
        headers={"Authorization": f"Bearer {token}"},
    )
    if support.status_code == 404:  # the support report is not in this build
        expect(page.locator("#support-status")).to_contain_text("Support reports are not available")
    page.screenshot(path=browser_output / "staff-dashboard-admin.png", full_page=True)

    # The channel filter: customers who hold an SMS identity.
    page.locator("#channel").select_option("sms")
    loaded = wait_for_round(page, loaded)
    by_sms = api(server, token, "/api/v1/analytics/rfm", **_filters(page, channel="sms"))
    assert chart(page, "chart-rfm")[0]["z"] == _grid(by_sms)
    assert _grid(by_sms) != drawn

    # A shorter range: the last 90 days, still by SMS.
    page.get_by_role("button", name="90 days").click()
    loaded = wait_for_round(page, loaded)
    recent = _filters(page, channel="sms")
    assert recent["from"] > everyone["from"]
    segments = api(server, token, "/api/v1/analytics/segments", **recent)
    assert chart(page, "chart-segments")[0]["y"] == [s["customers"] for s in segments["segments"]]
    assert chart(page, "chart-rfm")[0]["z"] == _grid(
        api(server, token, "/api/v1/analytics/rfm", **recent)
    )
    page.screenshot(path=browser_output / "staff-dashboard-sms-90-days.png", full_page=True)

    # Every table downloads as CSV with the API's own values.
    assert _csv(page, "Segments") == [
        {k: str(s[k]) for k in ("segment", "customers", "spend_cents")}
        for s in segments["segments"]
    ]
    recent_leads = api(server, token, "/api/v1/analytics/lead-scores", **recent)
    rows = _csv(page, "Leads to call first")
    assert [row["email"] for row in rows] == [
        lead["customer"]["email"] for lead in recent_leads["leads"]
    ]
    assert [row["probability"] for row in rows] == [
        "" if lead["probability"] is None else str(lead["probability"])
        for lead in recent_leads["leads"]
    ]
    value_rows = _csv(page, "Lifetime value distribution")
    value = api(server, token, "/api/v1/analytics/lifetime-value", **recent)
    assert [int(row["customers"]) for row in value_rows] == [
        b["customers"] for b in value["buckets"]
    ]

    # A range that runs backwards is refused on the page, and nothing is redrawn.
    page.locator("#from").fill(recent["to"])
    page.locator("#to").fill(recent["from"])
    expect(page.locator("#filter-error")).to_contain_text("not after its last")


def test_an_agent_sees_the_handoff_queue_and_no_sales_figures(
    page: Page, server: SwitchboardServer, browser_output: Path
) -> None:
    visitor = httpx.post(f"{server.base_url}/api/v1/webchat/sessions", json={"name": "Rae"})
    widget = {"Authorization": f"Bearer {visitor.json()['token']}"}
    asked = httpx.post(
        f"{server.base_url}/api/v1/webchat/messages",
        json={"client_message_id": "1", "text": "I want to talk to a person"},
        headers=widget,
        timeout=60,
    )
    assert asked.status_code == 200, asked.text
    token = staff_token(server, "Priya Agent", "priya@example.com", "agent")

    sign_in(page, token)
    wait_for_round(page, 0)
    waiting = page.locator("#handoffs-waiting")
    expect(waiting).to_contain_text("Waiting for a person (1)")
    expect(waiting.locator("tbody tr")).to_have_count(1)
    expect(waiting.locator("tbody tr")).to_contain_text("Rae")
    expect(page.locator("#handoffs-claimed")).to_contain_text("Claimed (0)")
    expect(page.locator("#customers")).to_be_hidden()
    expect(page.locator("#leads")).to_be_hidden()
    expect(page.locator("#support")).to_be_visible()
    rows = _csv(page, "Waiting for a person (1)")
    assert [row["customer"] for row in rows] == ["Rae"]
    assert int(rows[0]["age_seconds"]) >= 0
    page.screenshot(path=browser_output / "staff-dashboard-agent.png", full_page=True)

    # Signing out ends the session in this browser: the page asks for the token again.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Staff token")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Staff token")).to_be_visible()


def test_the_support_section_draws_a_report_of_the_agreed_shape(
    page: Page, server: SwitchboardServer, browser_output: Path
) -> None:
    # The support report route is built in parallel; until it is here, the browser
    # answers for it with a report of the agreed shape, to prove the page draws each part.
    served: list[str] = []

    def answer(route: Route) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        served.append(route.request.url)
        body = support_report_in_the_agreed_shape(query["from"][0], query["to"][0])
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/reports/support?*", answer)
    sign_in(page, staff_token(server, "Lena Lead", "lena@example.com", "agent"))
    wait_for_round(page, 0)
    assert served, "the page asked for the support report"
    report = support_report_in_the_agreed_shape("", "")
    expect(page.locator("#support-body")).to_be_visible()
    expect(page.locator("#support-tiles")).to_contain_text("60.0 %")  # bot resolution
    expect(page.locator("#support-tiles")).to_contain_text("25.0 %")  # handoff rate
    conversations = chart(page, "chart-conversations")
    assert [trace["y"] for trace in conversations] == [
        [day[key] for day in report["conversations_over_time"]]
        for key in ("opened", "resolved", "resolved_by_bot", "handed_off")
    ]
    assert chart(page, "chart-first-response")[0]["y"] == [12, 18, 7, 3]
    assert chart(page, "chart-handoff-reasons")[0]["x"] == [6, 4]
    assert chart(page, "chart-satisfaction")[0]["y"] == [4.2, 4.6]
    unanswered = page.get_by_role("table", name="Top unanswered questions")
    expect(unanswered).to_contain_text("do you sell gift cards?")
    rows = _csv(page, "Agents")
    assert rows == [
        {
            "agent": "Priya Shah",
            "conversations": "6",
            "replies": "14",
            "median_reply_seconds": "120",
        },
    ]
    page.screenshot(path=browser_output / "staff-dashboard-support.png", full_page=True)
