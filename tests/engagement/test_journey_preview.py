"""The preview of a journey, on both databases: each customer's timeline (which send
step falls due when, through waits, branches and quiet hours in their zone), and the
preview of a broadcast read a chunk of the audience at a time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_store import Database
from crm_store.campaigns import get_campaign
from engagement import preview
from engagement.preview import preview_campaign
from engagement.rules import EngagementRules
from engagement.time_zones import QuietHours
from tests.support.campaigns import OPEN_RULES, Shopper, campaign, journey, shoppers

# Noon in London in January (UTC+0), a Monday.
NOON = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
QUIET = EngagementRules(quiet_hours=QuietHours(), frequency_cap=None)
STEPS: list[dict[str, Any]] = [
    {"name": "hello", "send": "sms", "body": "Hi {{ first_name }}"},
    {"name": "evening", "wait": {"hours": 11}},  # 23:00 in London: quiet hours
    {"name": "late", "send": "sms", "body": "A late one"},
    {"name": "three-days", "wait": {"days": 3}},
    {
        "name": "regular",
        "branch": {"when": {"field": "order_count", "op": "gte", "value": 3}, "then": "stop"},
    },
    {"name": "review", "send": "email", "subject": "How was it?", "body": "Tell us"},
]


def _timelines(
    found: dict[str, Any],
) -> dict[int, list[tuple[str, str, str, str | None, str | None]]]:
    lines: dict[int, list[tuple[str, str, str, str | None, str | None]]] = {}
    for row in found["rows"]:
        lines.setdefault(row["customer_id"], []).append(
            (row["step"], row["decision"], row["due"], row["at"], row["reason"])
        )
    return lines


def test_a_journey_preview_is_a_timeline_per_customer(database: Database) -> None:
    new, regular = shoppers(
        database,
        [
            Shopper(name="Ann New", phone="+447700900001", email="ann@example.com", orders=1),
            Shopper(name="Reg Ular", phone="+447700900002", email="reg@example.com", orders=3),
        ],
    )
    found = journey(
        database,
        name="Welcome",
        trigger={"entered_segment": True},
        steps=STEPS,
        stop_when=["replied"],
    )
    with database.transaction() as session:
        record = get_campaign(session, found.id)
        assert record is not None
        dry = preview_campaign(session, record, QUIET, now=NOON)

    late, review = NOON + timedelta(hours=11), NOON + timedelta(days=3, hours=11)
    opens = datetime(2026, 1, 13, 8, 0, tzinfo=UTC)  # 08:00 in London the next day
    assert _timelines(dry)[new] == [
        ("hello", "send", NOON.isoformat(), NOON.isoformat(), None),
        ("late", "send", late.isoformat(), opens.isoformat(), "quiet_hours"),
        ("review", "send", review.isoformat(), opens.replace(day=16).isoformat(), "quiet_hours"),
    ]
    # The branch sees today's three orders: the journey would stop before the review.
    assert _timelines(dry)[regular][2] == ("review", "excluded", review.isoformat(), None, "branch")
    assert dry["steps"]["review"]["excluded"] == {"branch": 1}
    assert dry["steps"]["late"]["wait_for_quiet_hours"] == 2
    assert "skips or stops" in dry["reasons"]["branch"]


def test_the_cap_counts_the_sends_planned_before_a_step(database: Database) -> None:
    (ann,) = shoppers(database, [Shopper(phone="+447700900003", email="a@example.com")])
    found = journey(database, name="Busy", trigger={"entered_segment": True}, steps=STEPS)
    capped = dataclasses.replace(OPEN_RULES, frequency_cap=2)
    with database.transaction() as session:
        record = get_campaign(session, found.id)
        assert record is not None
        dry = preview_campaign(session, record, capped, now=NOON)
    # Two marketing messages planned within the week: the third is over the cap.
    assert [(step, reason) for step, _, _, _, reason in _timelines(dry)[ann]] == [
        ("hello", None),
        ("late", None),
        ("review", "frequency_cap"),
    ]


def test_a_broadcast_preview_reads_its_audience_a_chunk_at_a_time(
    database: Database, monkeypatch: Any
) -> None:
    people = [Shopper(phone=f"+1415555{n:04d}", consent=n % 3 != 0) for n in range(25)]
    ids = shoppers(database, people)
    monkeypatch.setattr(preview, "CHUNK", 4)
    found = campaign(database)
    with database.transaction() as session:
        record = get_campaign(session, found.id)
        assert record is not None
        dry = preview_campaign(session, record, OPEN_RULES, now=NOON, sample=100)
    assert dry["audience"] == dry["evaluated"] == 25
    assert dry["steps"]["sms"] == {
        "send_now": 16,
        "wait_for_quiet_hours": 0,
        "excluded": {"no_consent": 9},
    }
    assert [row["customer_id"] for row in dry["rows"]] == ids  # every chunk, in order
    assert {row["name"] for row in dry["rows"]} == {"Ada Lovelace"}


def test_a_step_a_branch_skips_today_still_fails_its_template(database: Database) -> None:
    (regular,) = shoppers(database, [Shopper(name=None, phone="+447700900004", orders=3)])
    steps = [dict(step) for step in STEPS]
    steps[-1] = {"name": "review", "send": "sms", "body": "Hi {{ first_name }}, how was it?"}
    steps[0] = {"name": "hello", "send": "sms", "body": "Hi"}
    found = journey(database, name="Nameless", trigger={"entered_segment": True}, steps=steps)
    with database.transaction() as session:
        record = get_campaign(session, found.id)
        assert record is not None
        dry = preview_campaign(session, record, OPEN_RULES, now=NOON)
    # Skipped by the branch today, but a later order count could send it: said now.
    assert [(e["customer_id"], e["step"]) for e in dry["template_errors"]] == [(regular, "review")]
    assert "first_name" in dry["template_errors"][0]["error"]
