"""Agents' reply waits kept as replies are logged (crm_store/reply_waits.py), on SQLite
and PostgreSQL: where no wait crosses the range's edges the figures are the ones the
report gave when it replayed the range's events (tests/support/agent_work.py keeps that
computation as the reference); at an edge, a reply counts in the range it was sent in,
with its whole wait."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlalchemy import select

from analytics.support import ReportPeriod
from analytics.support.agents import agent_workload
from crm_store import Database, upgrade
from crm_store.migrate import alembic_config
from crm_store.models import AgentReply, Customer, Identity, StaffUser
from demo.support_stories import Cycle, Said, Story, write_story
from tests.support.agent_work import agents_from_the_range_log, write_agent_work

FIRST_WEEK = [date(2026, 3, 2) + timedelta(days=n) for n in range(5)]
THIRD_WEEK = [date(2026, 3, 16) + timedelta(days=n) for n in range(5)]


def test_figures_are_todays_where_no_wait_crosses_the_range(database: Database) -> None:
    write_agent_work(database, seed=24, days=FIRST_WEEK + THIRD_WEEK)
    ranges = [
        ReportPeriod(date(2026, 3, 1), date(2026, 3, 14)),
        ReportPeriod(date(2026, 3, 15), date(2026, 3, 28)),
        ReportPeriod(date(2026, 3, 1), date(2026, 3, 28)),
        ReportPeriod(date(2026, 3, 1), date(2026, 3, 28), "web"),
    ]
    with database.transaction() as session:
        for period in ranges:
            kept = agent_workload(session, period)
            assert kept == agents_from_the_range_log(session, period), period
        whole = agent_workload(session, ranges[2])
    assert len(whole) == 3
    assert all(row["median_reply_seconds"] is not None for row in whole)
    # Follow-ups make more replies than waits answered; 20 conversations, some reopened.
    assert sum(row["conversations"] for row in whole) > 20


def _handed_off_before_midnight(database: Database) -> None:
    with database.transaction() as session:
        sam = StaffUser(name="Sam", email="sam@acme.test", role="agent", api_token_hash="s" * 64)
        customer = Customer(name="Ann", attributes={})
        session.add_all([sam, customer])
        session.flush()
        identity = Identity(customer_id=customer.id, channel="web", address="session-ann")
        session.add(identity)
        session.flush()
        evening = datetime(2026, 3, 8, 23, 40, tzinfo=UTC)
        cycle = Cycle(
            [
                Said(evening, "customer", "is anyone there?"),
                Said(evening + timedelta(seconds=5), "bot", "I am not sure.", "fallback"),
                Said(evening + timedelta(minutes=30), "agent", "Here!", staff_id=sam.id),
                Said(evening + timedelta(minutes=31), "agent", "How can I help?", staff_id=sam.id),
            ],
            handoff_at=evening + timedelta(minutes=10),  # 23:50, Sunday 8 March
            claimed_at=evening + timedelta(minutes=20),
            agent_id=sam.id,
            resolved_at=evening + timedelta(hours=1),
            resolved_by="agent",
        )
        write_story(session, Story(customer.id, identity.id, "web", [cycle]))


def test_a_reply_counts_in_the_range_it_was_sent_with_its_whole_wait(
    database: Database,
) -> None:
    _handed_off_before_midnight(database)
    monday_on = ReportPeriod(date(2026, 3, 9), date(2026, 3, 15))
    with database.transaction() as session:
        kept = agent_workload(session, monday_on)
        before = agents_from_the_range_log(session, monday_on)
        sunday = agent_workload(session, ReportPeriod(date(2026, 3, 8), date(2026, 3, 8)))
    # Waited from the handoff at 23:50 to the reply at 00:10: 20 minutes, counted on
    # Monday; the reply in a row after it ends no wait. Replaying Monday's events alone
    # never saw the handoff and counted no wait at all.
    assert kept == [
        {"agent": "Sam", "conversations": 1, "replies": 2, "median_reply_seconds": 1200.0}
    ]
    assert before == [
        {"agent": "Sam", "conversations": 1, "replies": 2, "median_reply_seconds": None}
    ]
    assert sunday == []  # nothing was sent on Sunday


def _replies(database: Database) -> list[tuple]:
    with database.transaction() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(
                    AgentReply.conversation_id,
                    AgentReply.cycle,
                    AgentReply.staff_id,
                    AgentReply.channel,
                    AgentReply.replied_at,
                    AgentReply.waited_since,
                ).order_by(AgentReply.conversation_id, AgentReply.cycle, AgentReply.replied_at)
            )
        ]


def test_the_kept_replies_are_the_ones_the_backfill_builds(database_url: str) -> None:
    upgrade(database_url)
    database = Database(database_url)
    try:
        write_agent_work(database, seed=7, days=FIRST_WEEK[:3])
        kept = _replies(database)
        database.dispose()
        command.downgrade(alembic_config(database_url), "0023")
        upgrade(database_url)
        rebuilt = _replies(database)
    finally:
        database.dispose()
    assert kept == rebuilt
    assert len(kept) > 6
    assert any(row[5] is None for row in kept)  # a follow-up ended no wait
    assert any(row[5] is not None for row in kept)
