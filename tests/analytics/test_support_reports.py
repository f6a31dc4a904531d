"""The support report over a week whose figures are worked out by hand
(tests/support/support_week.py), on SQLite and PostgreSQL.

Cycles started in the week: A1 (web, bot resolved, rated 5), B1 (sms, handed off,
Sam answered, rated 2), C1 (web, bot resolved Friday, reopened Saturday: not held), C2
(web, Saturday, handed off, Kim answers Monday 9 March). Some tests add E1 (web,
Tuesday: the bot answers twice, resolved an hour after its last answer)."""

from __future__ import annotations

from datetime import datetime

import pytest

from analytics.support import ReportPeriod, support_report
from analytics.support.report import SECTIONS
from crm_store import Database
from tests.support.support_week import (
    FIRST,
    LAST,
    at,
    office_hours,
    write_answered_twice,
    write_chat_touching_every_figure,
    write_questions_not_covered,
    write_support_week,
)


@pytest.fixture
def report(database: Database) -> dict:
    write_support_week(database)
    with database.transaction() as session:
        return support_report(session, ReportPeriod(FIRST, LAST), office_hours())


def test_conversations_are_care_cycles_started_in_the_range(report: dict) -> None:
    assert report["conversations_by_channel"] == [
        {"channel": "web", "conversations": 3},
        {"channel": "sms", "conversations": 1},
    ]
    days = {day["day"]: day for day in report["conversations_over_time"]}
    assert len(days) == 7
    assert days["2026-03-02"] == {
        "day": "2026-03-02",
        "opened": 2,
        "resolved": 2,
        "resolved_by_bot": 1,
        "handed_off": 1,
    }
    assert days["2026-03-06"]["resolved_by_bot"] == 1
    assert days["2026-03-07"] == {
        "day": "2026-03-07",
        "opened": 1,
        "resolved": 0,
        "resolved_by_bot": 0,
        "handed_off": 1,
    }
    assert sum(day["opened"] for day in days.values()) == 4


def test_a_resolution_reopened_within_seven_days_is_not_the_bots(report: dict) -> None:
    """A1 only: C1 was reopened the next day; B1 and C2 had a person."""
    assert report["bot_resolution"]["resolved_by_bot"] == 1
    assert report["bot_resolution"]["denominator"] == 4
    assert report["bot_resolution"]["rate"] == 0.25
    assert report["handoff"]["handoffs"] == 2
    assert report["handoff"]["rate"] == 0.5
    assert report["handoff"]["reasons"] == [
        {"reason": "customer_asked", "count": 1},
        {"reason": "not_understood", "count": 1},
    ]


def test_first_response_and_resolution_in_clock_and_business_hours(report: dict) -> None:
    """First person reply: B1 20 min (1,200 s); C2 Saturday 10:00 to Monday 09:45,
    171,900 s on the clock, 2,700 s of business hours (Monday 09:00-09:45)."""
    first = report["first_response"]
    assert first["cycles"] == 2
    assert first["clock"] == {"p50_seconds": 86550.0, "p90_seconds": 154830.0}
    assert first["business"] == {"p50_seconds": 1950.0, "p90_seconds": 2550.0}
    assert {b["bucket"]: b["cycles"] for b in first["histogram"]}["15-60 min"] == 1
    assert {b["bucket"]: b["cycles"] for b in first["histogram"]}["> 24 h"] == 1
    resolution = report["resolution_time"]
    # 5 (A1: to the bot's answer), 3,600 (B1), 172,800 (C2: Saturday to Monday 10:00);
    # C1 was reopened the next day, so it resolved nothing.
    assert resolution["cycles"] == 3
    assert resolution["clock"] == {"p50_seconds": 3600.0, "p90_seconds": 138960.0}
    assert resolution["business"] == {"p50_seconds": 3600.0, "p90_seconds": 3600.0}
    assert {b["bucket"]: b["cycles"] for b in resolution["histogram"]}["< 1 min"] == 1
    by = resolution["by_resolver"]
    assert (by["bot"]["cycles"], by["bot"]["clock"]["p50_seconds"]) == (1, 5.0)
    assert (by["person"]["cycles"], by["person"]["clock"]["p50_seconds"]) == (2, 88200.0)


def _resolution(database: Database) -> dict:
    with database.transaction() as session:
        return support_report(
            session, ReportPeriod(FIRST, LAST), office_hours(), sections=("response-times",)
        )["resolution_time"]


def test_a_bot_resolution_by_its_idle_timer_counts_at_its_last_answer(database: Database) -> None:
    """E1 asks at 10:00, the bot's last answer is at 10:02:05 and its idle timer resolves
    it at 11:02:05: 125 s, not the 3,725 s to the timer. A1 took 5 s."""
    write_support_week(database)
    write_answered_twice(database, resolved_by="bot")
    bot = _resolution(database)["by_resolver"]["bot"]
    assert bot["cycles"] == 2
    assert bot["clock"] == {"p50_seconds": 65.0, "p90_seconds": 113.0}


def test_a_persons_resolution_counts_at_the_resolution(database: Database) -> None:
    """The same E1 resolved by Sam at 11:02:05: 3,725 s, beside B1 (3,600) and C2."""
    week = write_support_week(database)
    write_answered_twice(database, resolved_by="agent", agent_id=week.sam)
    resolution = _resolution(database)
    person = resolution["by_resolver"]["person"]
    assert person["cycles"] == 3
    assert person["clock"]["p50_seconds"] == 3725.0
    assert resolution["by_resolver"]["bot"]["cycles"] == 1  # A1


@pytest.mark.parametrize(
    ("back", "counted"),
    [(at(4, 9), 1), (at(10, 11, 2, 5), 1), (at(10, 11, 2, 6), 2)],
    ids=["next day", "7 days to the second", "a second later"],
)
def test_a_resolution_reopened_within_seven_days_has_no_resolution_time(
    database: Database, back: datetime, counted: int
) -> None:
    """E1 resolved Tuesday 11:02:05: back the next day, or 7 days later to the second,
    it resolved nothing (as C1: the bot resolution's rule); a second later it held."""
    write_support_week(database)
    write_answered_twice(database, resolved_by="bot", back_at=back)
    assert _resolution(database)["by_resolver"]["bot"]["cycles"] == counted


def test_agents_replies_in_the_range_and_how_long_customers_waited(report: dict) -> None:
    """Sam answered B1 18 min 55 s after the handoff; Kim's reply is after the week."""
    assert report["agents"] == [
        {"agent": "Sam Carter", "conversations": 1, "replies": 1, "median_reply_seconds": 1135.0}
    ]


def test_satisfaction_is_the_share_of_four_and_five_among_answers(report: dict) -> None:
    satisfaction = report["satisfaction"]
    assert satisfaction["asked"] == 3
    assert satisfaction["responses"] == 2
    assert satisfaction["score"] == 0.5
    assert satisfaction["response_rate"] == 0.6667
    assert satisfaction["trend"] == [{"week": "2026-03-02", "score": 0.5, "responses": 2}]


def test_knowledge_answered_and_fallen_back_with_the_questions(report: dict) -> None:
    knowledge = report["knowledge"]
    assert (knowledge["answered"], knowledge["fallen_back"]) == (2, 2)
    assert sorted(q["question"] for q in knowledge["top_unanswered"]) == [
        "do you ship to mars",
        "what is the capital of peru",
    ]
    # The customers' messages as they wrote them, beside the grouped wording.
    assert sorted(e for q in knowledge["top_unanswered"] for e in q["examples"]) == [
        "Do you ship to Mars?",
        "what is the capital of Peru?",  # Ben's own spelling
    ]


def test_fallbacks_on_topics_the_help_centre_does_not_cover_are_counted_by_topic(
    database: Database,
) -> None:
    write_support_week(database)
    write_questions_not_covered(database, ["parking", "gift wrapping", "parking"])
    with database.transaction() as session:
        knowledge = support_report(session, ReportPeriod(FIRST, LAST), office_hours())["knowledge"]

    assert knowledge["not_covered"] == [
        {"topic": "parking", "count": 2},
        {"topic": "gift wrapping", "count": 1},
    ]
    assert knowledge["fallen_back"] == 5  # the week's two, and these three


def test_a_report_without_such_fallbacks_names_no_topic(report: dict) -> None:
    assert report["knowledge"]["not_covered"] == []


def test_a_terminal_chat_changes_no_figure_and_a_web_chat_does(database: Database) -> None:
    """`switchboard chat` is an operator trying the bot (period.py, TRIAL_CHANNELS): the
    same conversation changes every section of the report on the web, none in a
    terminal."""
    week = write_support_week(database)

    def sections() -> dict[str, dict]:
        with database.transaction() as session:
            return {
                name: SECTIONS[name](session, ReportPeriod(FIRST, LAST), office_hours(), None)
                for name in SECTIONS
            }

    before = sections()
    write_chat_touching_every_figure(database, "terminal", week)
    assert sections() == before
    write_chat_touching_every_figure(database, "web", week)
    after = sections()
    assert [name for name in SECTIONS if after[name] == before[name]] == []
    assert after["conversations"]["conversations_by_channel"][0] == {
        "channel": "web",
        "conversations": 4,
    }


def test_one_channel(database: Database) -> None:
    write_support_week(database)
    with database.transaction() as session:
        sms = support_report(session, ReportPeriod(FIRST, LAST, "sms"), office_hours())
    assert sms["conversations_by_channel"] == [{"channel": "sms", "conversations": 1}]
    assert sms["bot_resolution"]["rate"] == 0.0
    assert sms["handoff"]["rate"] == 1.0
    assert sms["satisfaction"]["score"] == 0.0
    assert sms["knowledge"]["answered"] == 0


def test_rates_are_null_over_nothing(database: Database) -> None:
    with database.transaction() as session:
        empty = support_report(session, ReportPeriod(FIRST, LAST), office_hours())
    assert empty["bot_resolution"]["rate"] is None
    assert empty["handoff"]["rate"] is None
    assert empty["satisfaction"]["score"] is None
    assert empty["satisfaction"]["response_rate"] is None
    assert empty["first_response"]["clock"] == {"p50_seconds": None, "p90_seconds": None}
