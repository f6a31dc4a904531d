"""The staff dashboard in headless Chromium over the demo data: signing in, the charts
drawn with the API's numbers, filters that change them, CSV downloads of the tables,
what each role sees, and the handoff queue. Screenshots go to the browser tests'
output folder (test-results/browser/)."""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.staff_dashboard import (
    api,
    ask_for_a_person,
    chart,
    charts_over_their_borders,
    cut_off_chart_titles,
    sign_in,
    staff_token,
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


# Conversations are kept two months (the demo has 120 days of them: some are due); closed
# tickets and attachments forever. The job's first run is at start, before the seeding.
@pytest.mark.server_env(SWITCHBOARD_PRIVACY__CONVERSATIONS_MONTHS="2")
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
    # Amounts carry their currency; the demo's orders in USD, EUR and GBP are summed as
    # stored, and the page says so.
    assert value["currencies"] == ["EUR", "GBP", "USD"]
    median = page.locator("#value-tiles .tile").filter(
        has_text="median predicted value, next 52 weeks"
    )
    expect(median.locator(".figure")).to_have_text(re.compile(r"^[\d,]+ EUR\+GBP\+USD$"))
    expect(page.locator("#currency-note")).to_contain_text(
        "Amounts add up orders in EUR, GBP and USD as they are stored, with no exchange rate"
    )
    spend = page.get_by_role("table", name="Segments").locator("th").nth(2)
    expect(spend).to_have_text("Lifetime spend (EUR+GBP+USD)")
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
    # What a score means, as of when, and what a factor's odds ratio does, are on the page.
    expect(page.locator("#leads-scored-at")).to_have_text(leads["computed_at"])
    expect(page.locator("#leads .note")).to_contain_text("the chance the lead is won at all")
    expect(page.locator("#leads .note")).to_contain_text("multiplies the odds of winning")

    # Retention, for admins: the policy, the last run's counts and what is due now.
    retention = api(server, token, "/api/v1/retention")
    assert retention["due_now"]["conversations"] > 0, "the demo has conversations older"
    assert retention["last_run"] is not None
    expect(page.locator("#retention")).to_be_visible()
    expect(page.locator("#retention-status")).to_contain_text(
        f"Last run: {retention['last_run']['finished_at']}"
    )
    shown = page.get_by_role("table", name="Retention policy").locator("tbody tr")
    expect(shown).to_have_count(3)
    assert [shown.nth(n).locator("td").all_inner_texts() for n in range(3)] == [
        [what, kept, str(retention["last_run"]["removed"][kind]), str(retention["due_now"][kind])]
        for kind, what, kept in (
            ("conversations", "Resolved conversations (their texts)", "2 months"),
            ("closed_tickets", "Closed tickets", "kept forever"),
            ("attachments", "Attachments", "kept forever"),
        )
    ]
    assert _csv(page, "Retention policy") == [
        {
            "kind": kind,
            "months": str(retention["policy"][f"{kind}_months"] or ""),
            "last_run_removed": str(retention["last_run"]["removed"][kind]),
            "due_now": str(retention["due_now"][kind]),
        }
        for kind in ("conversations", "closed_tickets", "attachments")
    ]

    page.screenshot(path=browser_output / "staff-dashboard-admin.png", full_page=True)

    # Three charts a row from about 1380 px: the narrowest columns (420 px) the titles get.
    assert cut_off_chart_titles(page, 1400) == []
    # Every chart keeps its whole border, three a row and two (Plotly drew over the right
    # one when it sized itself to the box's width border included).
    for width in (1400, 1024):
        assert charts_over_their_borders(page, width) == [], width
        page.locator("#support .grid").screenshot(
            path=browser_output / f"staff-dashboard-charts-{width}.png"
        )
    page.set_viewport_size({"width": 1100, "height": 760})

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
        {k: str(s[k]) for k in ("segment", "customers", "spend_cents", "meaning")}
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

    # A range that runs backwards is refused on the page, and no request asks for it: not
    # even the round the first of the two changes started (a one-day range), which read
    # the filters again after its support answers, by then the backwards range. Those
    # answers are held until the range has turned backwards.
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    held: list[Route] = []
    released = False

    def hold(route: Route) -> None:
        if released:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/v1/reports/support/*", hold)
    page.locator("#from").fill(recent["to"])
    page.locator("#to").fill(recent["from"])
    expect(page.locator("#filter-error")).to_contain_text("not after its last")
    released = True
    for route in held:
        route.continue_()
    wait_for_round(page, loaded)  # the one-day range's round
    ranges = [parse_qs(urlsplit(url).query) for url in asked]
    ranges = [(q["from"][0], q["to"][0]) for q in ranges if "from" in q]
    assert ranges, "the one-day range was drawn"
    assert [(first, last) for first, last in ranges if first > last] == []


def test_an_agent_sees_the_handoff_queue_and_no_sales_figures(
    page: Page, server: SwitchboardServer, browser_output: Path
) -> None:
    ask_for_a_person(server, {"name": "Rae"})
    ask_for_a_person(server, {})  # an anonymous visitor: the API's name is null
    token = staff_token(server, "Priya Agent", "priya@example.com", "agent")
    queue = api(server, token, "/api/v1/handoffs", state="waiting")["handoffs"]
    anonymous = next(h["customer"] for h in queue if h["customer"]["name"] is None)

    sign_in(page, token)
    wait_for_round(page, 0)
    waiting = page.locator("#handoffs-waiting")
    expect(waiting).to_contain_text("Waiting for a person (2)")
    expect(waiting.locator("tbody tr")).to_have_count(2)
    rae = waiting.locator("tbody tr").filter(has_text="Rae")
    expect(rae.locator("td").nth(2)).to_have_text("web chat")
    # The anonymous visitor is said to be one, with the id the staff API finds them by.
    nameless = waiting.locator("tbody tr").filter(has_not_text="Rae")
    expect(nameless.locator("td").nth(1)).to_have_text(
        f"Anonymous visitor (customer #{anonymous['id']})"
    )
    expect(page.locator("#handoffs-claimed")).to_contain_text("Claimed (0)")
    expect(page.locator("#customers")).to_be_hidden()
    expect(page.locator("#leads")).to_be_hidden()
    expect(page.locator("#retention")).to_be_hidden()
    expect(page.locator("#support")).to_be_visible()
    rows = _csv(page, "Waiting for a person (2)")
    # The CSV keeps the API's values: the anonymous visitor's name empty, the channel "web".
    assert sorted(row["customer"] for row in rows) == ["", "Rae"]
    assert [row["channel"] for row in rows] == ["web", "web"]
    assert all(int(row["age_seconds"]) >= 0 for row in rows)
    # Shown to the minute in UTC; the CSV keeps the API's ISO time.
    opened = datetime.fromisoformat(next(r for r in rows if r["customer"])["opened_at"])
    expect(rae.locator("td").last).to_have_text(f"{opened.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
    page.screenshot(path=browser_output / "staff-dashboard-agent.png", full_page=True)

    # Signing out ends the session in this browser: the page asks for the token again.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Staff token")).to_be_visible()
    # Loading the page signed out asks who is signed in without a failed request (it was
    # a 401 in the console on every load).
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    with page.expect_response("**/api/v1/staff-session") as asked:
        page.reload()
    assert asked.value.status == 204
    expect(page.get_by_label("Staff token")).to_be_visible()
    expect(page.locator("#sign-in-error")).to_be_empty()
    assert [line for line in console if line.startswith("error")] == []

    # A role with no section says so instead of showing filters over an empty page.
    sign_in(page, staff_token(server, "Mo Marketer", "mo@example.com", "marketing"))
    expect(page.locator("#nothing-shown")).to_contain_text("for the marketing role")
    expect(page.locator("#filters")).to_be_hidden()
    expect(page.locator("section.panel:visible")).to_have_count(0)

    # The shop's backend account is not a person: refused at sign-in, with the reason on
    # the form, and no session is left behind (a reload finds nobody signed in).
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Staff token").fill(staff_token(server, "Shop", "shop@example.com", "shop"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_contain_text("can only record orders")
    expect(page.locator("#who")).to_be_hidden()
    with page.expect_response("**/api/v1/staff-session") as asked:
        page.reload()
    assert asked.value.status == 204
    expect(page.get_by_label("Staff token")).to_be_visible()


def _percent(rate: float | None) -> str:
    """A rate as the page writes it: JavaScript's `(100 * rate).toFixed(1)`, which rounds
    the float's exact value half up."""
    if rate is None:
        return "\u2013"
    exact = Decimal(100 * rate).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{exact} %"


def _js_text(value: Any) -> str:
    """A JSON number as JavaScript's String() writes it (120.0 is "120")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _support_matches_the_api(page: Page, report: dict[str, Any]) -> None:
    """Every support chart and tile on the page holds the numbers of `report`."""
    tiles = page.locator("#support-tiles")
    expect(tiles).to_contain_text(_percent(report["bot_resolution"]["rate"]))
    resolved = report["bot_resolution"]
    expect(tiles).to_contain_text(f"({resolved['resolved_by_bot']} of {resolved['denominator']})")
    expect(tiles).to_contain_text(_percent(report["handoff"]["rate"]))
    expect(tiles).to_contain_text(_percent(report["satisfaction"]["score"]))
    expect(tiles).to_contain_text(f"{report['satisfaction']['responses']} answers")
    expect(tiles).to_contain_text(f"{report['knowledge']['fallen_back']} fell back")
    days = report["conversations_over_time"]
    assert [trace["y"] for trace in chart(page, "chart-conversations")] == [
        [day[key] for day in days]
        for key in ("opened", "resolved", "resolved_by_bot", "handed_off")
    ]
    channels = chart(page, "chart-channels")[0]
    by_channel = report["conversations_by_channel"]
    assert channels["x"] == [c["channel"] for c in by_channel]
    assert channels["y"] == [c["conversations"] for c in by_channel]
    for element, part in (
        ("chart-first-response", "first_response"),
        ("chart-resolution", "resolution_time"),
    ):
        assert chart(page, element)[0]["y"] == [b["cycles"] for b in report[part]["histogram"]]
    reasons = chart(page, "chart-handoff-reasons")[0]
    assert reasons["x"] == [r["count"] for r in report["handoff"]["reasons"]]
    assert reasons["y"] == [r["reason"].replace("_", " ") for r in report["handoff"]["reasons"]]
    trend = report["satisfaction"]["trend"]
    assert chart(page, "chart-satisfaction")[0]["y"] == [w["score"] for w in trend]


def test_the_support_section_shows_the_support_reports_numbers(
    page: Page, server: SwitchboardServer, browser_output: Path
) -> None:
    seed_demo_data(server)  # with a season of past conversations and their surveys
    token = staff_token(server, "Lena Lead", "lena@example.com", "admin")
    sign_in(page, token)
    loaded = wait_for_round(page, 0)
    expect(page.locator("#support-body")).to_be_visible()

    everyone = _filters(page)  # the default range: the last 12 months, every channel
    report = api(server, token, "/api/v1/reports/support", **everyone)
    assert report["range"]["from"] == everyone["from"]
    opened = sum(c["conversations"] for c in report["conversations_by_channel"])
    assert opened >= 300, "the demo has about 420 past support conversations"
    # The figures count care cycles (a reopened conversation again), and the page says so.
    expect(page.locator("#support-status")).to_contain_text("a reopened conversation counts again")
    assert report["agents"] and report["satisfaction"]["responses"] > 50
    _support_matches_the_api(page, report)
    page.locator("#support").screenshot(path=browser_output / "staff-dashboard-support.png")

    # The tables' CSVs are the API's rows, with its own values (seconds, not "19 min").
    assert _csv(page, "Agents") == [
        {k: _js_text(a[k]) for k in ("agent", "conversations", "replies", "median_reply_seconds")}
        for a in report["agents"]
    ]
    unanswered = _csv(page, "Top unanswered questions")
    assert [(row["question"], int(row["count"])) for row in unanswered] == [
        (q["question"], q["count"]) for q in report["knowledge"]["top_unanswered"]
    ]
    # The topics customers asked about that the help centre does not cover (the demo's
    # history has gift wrapping, rentals and student discounts).
    not_covered = _csv(page, "Asked about, not in the help centre")
    assert [(row["topic"], int(row["count"])) for row in not_covered] == [
        (t["topic"], t["count"]) for t in report["knowledge"]["not_covered"]
    ]
    assert {t["topic"] for t in report["knowledge"]["not_covered"]} == {
        "gift wrapping",
        "group discounts",
        "rentals",
    }
    # The words behind the score: the latest answers rated 1 or 2, as the API lists them.
    unhappy = api(server, token, "/api/v1/surveys", **everyone, max_score="2", limit="20")
    assert len(unhappy["surveys"]) == 20, "the demo has dozens of ratings of 1 or 2"
    assert _csv(page, "Unhappy survey answers (rated 1 or 2, the latest 20)") == [
        {
            "answered_at": s["answered_at"],
            "score": str(s["score"]),
            "comment": s["comment"] or "",
            "customer_id": str(s["customer"]["id"]),
            "channel": s["channel"],
            "resolved_by": s["staff"]["name"] if s["staff"] else s["resolved_by"],
        }
        for s in unhappy["surveys"]
    ]
    expect(page.locator("#table-unhappy tbody tr")).to_have_count(20)
    busy = [
        d for d in report["conversations_over_time"] if any(v for k, v in d.items() if k != "day")
    ]
    by_day = _csv(page, "Conversations by day (days with activity)")
    assert by_day == [{k: _js_text(v) for k, v in d.items()} for d in busy]
    # The table shows the last 14 of those days until asked for all; the CSV has them all.
    assert len(busy) > 14, "the demo has a season of busy days"
    over_time = page.locator("#table-over-time")
    shown = over_time.locator("tbody tr:visible")
    expect(shown).to_have_count(14)
    expect(shown.first.locator("td").first).to_have_text(busy[-14]["day"])
    expect(shown.last.locator("td").first).to_have_text(busy[-1]["day"])
    expect(over_time).to_contain_text(f"The last 14 of {len(busy)} days with activity")
    over_time.get_by_role("button", name=f"Show all {len(busy)}").click()
    expect(shown).to_have_count(len(busy))
    over_time.get_by_role("button", name="Show the last 14").click()
    expect(shown).to_have_count(14)

    # One channel: the numbers change and are still the API's.
    page.locator("#channel").select_option("sms")
    loaded = wait_for_round(page, loaded)
    by_sms = api(server, token, "/api/v1/reports/support", **_filters(page, channel="sms"))
    assert [c["channel"] for c in by_sms["conversations_by_channel"]] == ["sms"]
    assert by_sms["bot_resolution"]["denominator"] < report["bot_resolution"]["denominator"]
    _support_matches_the_api(page, by_sms)

    # A shorter range, still by SMS.
    page.get_by_role("button", name="30 days").click()
    loaded = wait_for_round(page, loaded)
    recent = _filters(page, channel="sms")
    last_month = api(server, token, "/api/v1/reports/support", **recent)
    assert len(last_month["conversations_over_time"]) == 30
    assert last_month["resolution_time"]["cycles"] < by_sms["resolution_time"]["cycles"]
    _support_matches_the_api(page, last_month)
    page.locator("#support").screenshot(
        path=browser_output / "staff-dashboard-support-sms-30-days.png"
    )

    # Two years: the support section reads the last 366 days (the most a report covers)
    # and says so; the rest of the page keeps the two years.
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.get_by_role("button", name="2 years").click()
    loaded = wait_for_round(page, loaded)
    two_years = _filters(page, channel="sms")
    last_year = two_years | {"from": str(date.fromisoformat(two_years["to"]) - timedelta(days=365))}
    expect(page.locator("#support-body")).to_be_visible()
    expect(page.locator("#support-status")).to_contain_text(
        f"Only the last 366 days of the range, {last_year['from']} to {last_year['to']}"
    )
    support_asked = [
        parse_qs(urlsplit(url).query)["from"][0]
        for url in asked
        if "/api/v1/reports/support/" in url or "/api/v1/surveys" in url
    ]
    assert support_asked and set(support_asked) == {last_year["from"]}
    assert any(f"/api/v1/analytics/rfm?from={two_years['from']}&" in url for url in asked)
    _support_matches_the_api(page, api(server, token, "/api/v1/reports/support", **last_year))

    # An agent reads the same support report for the default range.
    page.get_by_role("button", name="Sign out").click()
    agent = staff_token(server, "Tom Agent", "tom@example.com", "agent")
    sign_in(page, agent)
    wait_for_round(page, 0)  # a new page load counts from 0
    expect(page.locator("#customers")).to_be_hidden()
    _support_matches_the_api(page, api(server, agent, "/api/v1/reports/support", **_filters(page)))
    page.screenshot(path=browser_output / "staff-dashboard-support-agent.png", full_page=True)


# Each support chart and what it says when it has nothing to show.
_EMPTY_SUPPORT_CHARTS = {
    "chart-conversations": "No conversations in this range.",
    "chart-channels": "No conversations in this range.",
    "chart-first-response": "No replies from a person in this range.",
    "chart-resolution": "No resolved conversations in this range.",
    "chart-handoff-reasons": "No handoffs in this range.",
    "chart-satisfaction": "No survey answers in this range.",
}
_TICKS = """(id) => [...document.querySelectorAll(`#${id} .ytick text, #${id} .xtick text`)]
    .map((t) => t.textContent)"""


def test_empty_charts_say_so_counts_tick_in_whole_numbers_and_questions_are_text(
    page: Page, server: SwitchboardServer, browser_output: Path
) -> None:
    token = staff_token(server, "Eve Empty", "eve@example.com", "agent")
    sign_in(page, token)
    loaded = wait_for_round(page, 0)
    for element, said in _EMPTY_SUPPORT_CHARTS.items():
        box = page.locator(f"#{element}")
        expect(box.locator(".chart-empty .empty")).to_have_text(said)
        expect(box.locator(".main-svg")).to_have_count(0)  # no axes drawn over nothing

    # Two visitors ask for a person; one first asks what the help centre cannot answer,
    # in words that look like HTML.
    question = (
        'What is the capital of <b>Peru</b>? <img src=x onerror="document.title=1"> '
        "My daughter asks for her school quiz"
    )
    session = httpx.post(f"{server.base_url}/api/v1/webchat/sessions", json={"name": "Ola"})
    asked = httpx.post(
        f"{server.base_url}/api/v1/webchat/messages",
        json={"client_message_id": "q", "text": question},
        headers={"Authorization": f"Bearer {session.json()['token']}"},
        timeout=60,
    )
    assert asked.status_code == 200, asked.text
    ask_for_a_person(server, {"name": "Rae"})
    ask_for_a_person(server, {})
    page.locator("#channel").select_option("web")
    wait_for_round(page, loaded)
    report = api(server, token, "/api/v1/reports/support", **_filters(page, channel="web"))
    assert report["handoff"]["handoffs"] >= 2
    for element in ("chart-conversations", "chart-channels", "chart-handoff-reasons"):
        expect(page.locator(f"#{element} .chart-empty")).to_have_count(0)
        ticks = page.evaluate(_TICKS, element)
        counts = [t for t in ticks if re.fullmatch("[0-9.,\u2212-]+", t)]
        assert counts, f"{element}: no count ticks in {ticks}"
        assert all(re.fullmatch(r"\d+", t) for t in counts), f"{element}: {counts}"
        assert len(counts) == len(set(counts)), f"{element}: {counts}"
    # The customer's question as they wrote it, shown as text, not as HTML.
    (unanswered,) = report["knowledge"]["top_unanswered"]
    assert unanswered["examples"] == [question[:79].rstrip() + "…"]
    cell = page.get_by_role("table", name="Top unanswered questions").locator("td").nth(2)
    expect(cell).to_have_text("“" + unanswered["examples"][0] + "”")
    expect(cell.locator("b, img")).to_have_count(0)
    assert page.title() != "1"
    page.locator("#support").screenshot(path=browser_output / "staff-dashboard-support-few.png")
