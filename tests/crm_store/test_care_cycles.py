"""Care cycles kept from the event log, on SQLite and PostgreSQL: the rows the live
writes keep are the rows migration 0021 builds from the same events; a retried event
counts once; the earliest time of each kind stays whatever order events come in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import select

from crm_store import Database, upgrade
from crm_store.event_log import record_event
from crm_store.migrate import alembic_config
from crm_store.models import CareCycle
from tests.support.customers import open_sms_conversation, seed
from tests.support.support_week import write_support_week

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _cycles(database: Database) -> list[dict[str, Any]]:
    names = [c.name for c in CareCycle.__table__.c if c.name != "id"]
    with database.transaction() as session:
        rows = session.scalars(
            select(CareCycle).order_by(CareCycle.conversation_id, CareCycle.cycle)
        )
        return [{name: getattr(row, name) for name in names} for row in rows]


def test_the_kept_rows_are_the_rows_the_backfill_builds(database_url: str) -> None:
    upgrade(database_url)
    database = Database(database_url)
    try:
        write_support_week(database)
        kept = _cycles(database)
        database.dispose()  # no connection of ours left open while the table goes
        command.downgrade(alembic_config(database_url), "0020")
        upgrade(database_url)
        rebuilt = _cycles(database)
    finally:
        database.dispose()
    assert len(kept) == 4
    assert kept == rebuilt
    assert [row["survey_score"] for row in kept] == [5, 2, None, None]
    reopened = [row for row in kept if row["reopened_at"] is not None]
    assert [(row["cycle"], row["reopened_at"]) for row in reopened] == [
        (1, datetime(2026, 3, 7, 10, 0, tzinfo=UTC))
    ]


def test_a_retried_event_counts_once_and_the_earliest_time_stays(database: Database) -> None:
    seed(database)
    conversation = open_sms_conversation(database).conversation_id
    ids = {"conversation_id": conversation, "cycle": 1, "channel": "sms"}
    with database.transaction() as session:
        for key, minutes in (("2", 9), ("1", 5), ("2", 9)):  # out of order, then a retry
            record_event(
                session,
                "message.out",
                key=key,
                actor="agent",
                occurred_at=T0 + timedelta(minutes=minutes),
                **ids,
            )
        record_event(
            session, "conversation.opened", key="c", actor="customer", occurred_at=T0, **ids
        )
        record_event(
            session,
            "conversation.resolved",
            key="r",
            actor="bot",
            occurred_at=T0 + timedelta(hours=1),
            **ids,
        )
    (row,) = _cycles(database)
    assert row["started_at"] == T0
    assert row["first_person_reply_at"] == T0 + timedelta(minutes=5)
    assert (row["agent_replies"], row["bot_replies"], row["handoffs"]) == (2, 0, 0)
    assert row["resolved_by_bot"] is True
    assert row["channel"] == "sms"
