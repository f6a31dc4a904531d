"""GET /api/v1/reports/support: the dashboard's contract (keys and shapes), the default
range, 422 with the reason for bad dates, and who may read it (agents and admins)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.bot.conftest import Readers

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration

REPORT = "/api/v1/reports/support"


def test_the_report_has_the_dashboards_shape(readers: Readers) -> None:
    answer = readers.client.get(f"{REPORT}?from=2026-03-02&to=2026-03-08", headers=readers.admin)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["range"] == {"from": "2026-03-02", "to": "2026-03-08", "channel": None}
    assert set(report) == {
        "range",
        "conversations_by_channel",
        "conversations_over_time",
        "bot_resolution",
        "handoff",
        "first_response",
        "resolution_time",
        "agents",
        "satisfaction",
        "knowledge",
    }
    assert set(report["bot_resolution"]) == {"rate", "resolved_by_bot", "denominator", "definition"}
    assert set(report["handoff"]) == {"rate", "handoffs", "denominator", "definition", "reasons"}
    resolution = report["resolution_time"]
    assert set(resolution) == {
        "cycles",
        "clock",
        "business",
        "histogram",
        "definition",
        "by_resolver",
    }
    assert set(resolution["by_resolver"]) == {"bot", "person"}
    for timing in (report["first_response"], resolution, *resolution["by_resolver"].values()):
        assert set(timing) >= {"cycles", "clock", "business", "histogram"}
        assert set(timing["clock"]) == set(timing["business"]) == {"p50_seconds", "p90_seconds"}
    assert set(report["first_response"]) == {"cycles", "clock", "business", "histogram"}
    assert set(report["satisfaction"]) == {"score", "responses", "asked", "response_rate", "trend"}
    assert set(report["knowledge"]) == {"answered", "fallen_back", "top_unanswered", "not_covered"}
    assert set(report["knowledge"]["top_unanswered"][0]) == {"question", "count", "examples"}
    assert report["handoff"]["rate"] == 0.5

    sms = readers.client.get(
        f"{REPORT}?from=2026-03-02&to=2026-03-08&channel=sms", headers=readers.admin
    ).json()
    assert sms["range"]["channel"] == "sms"
    assert sms["conversations_by_channel"] == [{"channel": "sms", "conversations": 1}]


def test_the_last_thirty_days_by_default(readers: Readers) -> None:
    report = readers.client.get(REPORT, headers=readers.admin).json()
    today = datetime.now(UTC).date()
    assert report["range"]["to"] == today.isoformat()
    assert (today - date.fromisoformat(report["range"]["from"])).days == 29
    assert len(report["conversations_over_time"]) == 30


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("from=2026-02-30", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-08&to=2026-03-02", "is after to"),
        ("from=2024-01-01&to=2026-03-02", "longer than 366 days"),
        ("channel=fax", "channel"),
        # Near the calendar's ends the defaults and the 30 days followed past the end
        # would overflow (a 500 until now): refused with the days a report covers.
        ("from=9999-12-01&to=9999-12-31", "outside the days a report covers"),
        ("from=9999-12-31", "outside the days a report covers"),
        ("to=0001-01-01", "outside the days a report covers"),
    ],
)
def test_bad_ranges_are_refused_with_the_reason(readers: Readers, query: str, reason: str) -> None:
    answer = readers.client.get(f"{REPORT}?{query}", headers=readers.admin)
    assert answer.status_code == 422
    assert reason in answer.text


def test_sales_staff_and_strangers_cannot_read_it(readers: Readers) -> None:
    assert readers.client.get(REPORT, headers=readers.sales).status_code == 403
    assert readers.client.get(REPORT).status_code == 401


def test_the_sections_together_are_the_whole_report(readers: Readers) -> None:
    week = "from=2026-03-02&to=2026-03-08&channel=web"
    whole = readers.client.get(f"{REPORT}?{week}", headers=readers.admin).json()
    merged: dict = {}
    for section in ("conversations", "response-times", "agents", "satisfaction", "knowledge"):
        answer = readers.client.get(f"{REPORT}/{section}?{week}", headers=readers.admin)
        assert answer.status_code == 200, answer.text
        part = answer.json()
        assert part["range"] == whole["range"]
        assert not (set(part) - {"range"}) & set(merged), section  # no key in two sections
        merged.update(part)
    assert merged == whole
    assert whole["conversations_by_channel"] == [{"channel": "web", "conversations": 3}]


def test_an_unknown_section_is_a_404_naming_the_sections(readers: Readers) -> None:
    answer = readers.client.get(f"{REPORT}/everything", headers=readers.admin)
    assert answer.status_code == 404
    assert "response-times" in answer.text
    assert (
        readers.client.get(f"{REPORT}/agents?to=yesterday", headers=readers.admin).status_code
        == 422
    )
    assert readers.client.get(f"{REPORT}/agents", headers=readers.sales).status_code == 403
    far = readers.client.get(f"{REPORT}/agents?from=9999-12-31", headers=readers.admin)
    assert far.status_code == 422, far.text
