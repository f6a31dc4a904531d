"""The demo seed's support history: the support report over its last month shows real
figures (every part non-empty), and no fixed demo customer is given an old conversation
that a demo visitor would land in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from analytics.support import ReportPeriod, support_report
from crm_store import Database
from crm_store.models import Conversation, Customer, LoggedEvent, SatisfactionSurvey
from demo.seed import DEMO_CUSTOMERS, seed_demo
from demo.support_history import COMMENTS, SHOP_HOURS

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_the_last_month_of_the_demo_reads_as_a_support_team_at_work(database: Database) -> None:
    with database.transaction() as session:
        outcome = seed_demo(session, now=NOW)
        assert outcome.counts["support conversations"] > 300
        report = support_report(
            session,
            ReportPeriod(NOW.date() - timedelta(days=29), NOW.date()),
            SHOP_HOURS,
        )
    assert {row["channel"] for row in report["conversations_by_channel"]} >= {"web", "sms", "email"}
    assert 0.3 < report["bot_resolution"]["rate"] < 0.8
    assert 0.1 < report["handoff"]["rate"] < 0.6
    assert report["first_response"]["cycles"] > 10
    # In the hours `make run` serves, a handoff waits for an agent some business minutes
    # (0 s had read as broken), and far fewer than the nights and weekends on the clock.
    business, clock = report["first_response"]["business"], report["first_response"]["clock"]
    assert 60 < business["p50_seconds"] < clock["p50_seconds"]
    assert len(report["agents"]) == 3
    assert report["satisfaction"]["responses"] > 10
    assert 0 < report["satisfaction"]["response_rate"] < 1
    assert report["knowledge"]["fallen_back"] > 0
    assert report["knowledge"]["top_unanswered"][0]["count"] > 1
    # the demo's fallbacks on topics its help centre does not cover, by topic
    assert {t["topic"] for t in report["knowledge"]["not_covered"]} <= {
        "gift wrapping",
        "group discounts",
        "rentals",
    }
    assert report["knowledge"]["not_covered"][0]["count"] > 1
    with database.transaction() as session:  # none for the fixed demo customers
        fixed = select(Customer.id).where(Customer.email.in_([c.email for c in DEMO_CUSTOMERS]))
        logged = session.scalars(
            select(LoggedEvent.id).where(LoggedEvent.customer_id.in_(fixed))
        ).all()
        open_ones = session.scalars(
            select(Conversation.id).where(
                Conversation.customer_id.in_(fixed), Conversation.status == "open"
            )
        ).all()
    assert logged == [] and open_ones == []


def test_a_demo_rating_comes_with_words_that_fit_it(database: Database) -> None:
    """The dashboard lists the unhappy answers with their comments: a 1 that says
    "great service" made the demo read as nonsense (comments were drawn for any score)."""
    with database.transaction() as session:
        seed_demo(session, now=NOW)
        answers = session.execute(
            select(SatisfactionSurvey.score, SatisfactionSurvey.comment).where(
                SatisfactionSurvey.comment.is_not(None)
            )
        ).all()
    assert len(answers) > 50
    for score, comment in answers:
        mood = "low" if score <= 2 else "middle" if score == 3 else "high"
        assert comment in COMMENTS[mood], (score, comment)
