"""Migration 0018 backfills the event log from the history an older store kept, on
SQLite and PostgreSQL: a resolved handoff ends a care cycle, the customer's next message
starts the next, and the support report reads the result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select

from analytics.support import ReportPeriod, support_report
from crm_store import Database, upgrade
from crm_store.models import CareCycle, Conversation, LoggedEvent
from tests.support.support_week import office_hours

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, in office hours


def _table(name: str, *columns: str, json: tuple[str, ...] = ()) -> sa.TableClause:
    return sa.table(
        name,
        *(sa.column(c) for c in columns),
        *(sa.column(c, sa.JSON()) for c in json),
    )


def _old_store(connection: sa.Connection) -> None:
    """One conversation as 0016 kept it: asked, answered by the bot, handed off, claimed
    and answered by Sam, resolved; the customer wrote again the next day."""
    at = {"created_at": T0}
    connection.execute(
        sa.insert(
            _table(
                "staff_users",
                "id",
                "name",
                "email",
                "role",
                "api_token_hash",
                "active",
                "created_at",
            )
        ),
        [
            {
                "id": 7,
                "name": "Sam",
                "email": "sam@a.test",
                "role": "agent",
                "api_token_hash": "x" * 64,
                "active": True,
                **at,
            }
        ],
    )
    connection.execute(
        sa.insert(
            _table(
                "customers",
                "id",
                "name",
                "lifecycle_stage",
                "pending",
                "created_at",
                "updated_at",
                json=("attributes",),
            )
        ),
        [
            {
                "id": 1,
                "name": "Ada",
                "lifecycle_stage": "customer",
                "pending": False,
                "attributes": {},
                "updated_at": T0,
                **at,
            }
        ],
    )
    connection.execute(
        sa.insert(
            _table(
                "identities", "id", "customer_id", "channel", "address", "verified", "created_at"
            )
        ),
        [{"id": 1, "customer_id": 1, "channel": "web", "address": "s-1", "verified": False, **at}],
    )
    connection.execute(
        sa.insert(
            _table(
                "conversations",
                "id",
                "customer_id",
                "identity_id",
                "channel",
                "owner",
                "status",
                "last_seq",
                "created_at",
                "updated_at",
                json=("slots",),
            )
        ),
        [
            {
                "id": 1,
                "customer_id": 1,
                "identity_id": 1,
                "channel": "web",
                "owner": "bot",
                "status": "open",
                "last_seq": 4,
                "slots": {},
                "updated_at": T0,
                **at,
            }
        ],
    )
    said = [
        (1, "in", "customer", None, 0, {}),
        (2, "out", "bot", None, 5, {"route": {"decision": "fallback"}}),
        (3, "out", "agent", 7, 300, {}),
        (4, "in", "customer", None, 86400, {}),
    ]
    connection.execute(
        sa.insert(
            _table(
                "interactions",
                "id",
                "conversation_id",
                "customer_id",
                "seq",
                "direction",
                "author",
                "staff_id",
                "channel",
                "text",
                "created_at",
                json=("attributes", "sources"),
            )
        ),
        [
            {
                "id": seq,
                "conversation_id": 1,
                "customer_id": 1,
                "seq": seq,
                "direction": d,
                "author": a,
                "staff_id": s,
                "channel": "web",
                "text": f"message {seq}",
                "attributes": attrs,
                "sources": [],
                "created_at": T0 + timedelta(seconds=after),
            }
            for seq, d, a, s, after, attrs in said
        ],
    )
    connection.execute(
        sa.insert(
            _table(
                "handoffs",
                "id",
                "conversation_id",
                "customer_id",
                "reason",
                "summary",
                "status",
                "claimed_by_staff_id",
                "created_at",
                "claimed_at",
                "closed_at",
            )
        ),
        [
            {
                "id": 1,
                "conversation_id": 1,
                "customer_id": 1,
                "reason": "not_understood",
                "summary": "",
                "status": "resolved",
                "claimed_by_staff_id": 7,
                "created_at": T0 + timedelta(seconds=6),
                "claimed_at": T0 + timedelta(seconds=120),
                "closed_at": T0 + timedelta(seconds=600),
            }
        ],
    )


def test_an_old_store_gets_its_events_and_care_cycles(database_url: str) -> None:
    upgrade(database_url, "0016")
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            _old_store(connection)
        upgrade(database_url)
        with database.transaction() as session:
            events = [
                (e.type, e.cycle, e.actor, e.staff_id, e.detail)
                for e in session.scalars(
                    select(LoggedEvent).order_by(LoggedEvent.occurred_at, LoggedEvent.id)
                )
            ]
            assert session.get_one(Conversation, 1).cycle == 2
            cycle = session.scalars(select(CareCycle).where(CareCycle.cycle == 1)).one()
            report = support_report(
                session, ReportPeriod(T0.date(), T0.date() + timedelta(days=1)), office_hours()
            )
    finally:
        database.dispose()
    assert events == [
        ("conversation.opened", 1, "customer", None, None),
        ("message.in", 1, "customer", None, None),
        ("message.out", 1, "bot", None, "fallback"),
        ("handoff.opened", 1, "bot", None, "not_understood"),
        ("handoff.claimed", 1, "agent", 7, None),
        ("message.out", 1, "agent", 7, None),
        ("conversation.resolved", 1, "agent", 7, None),
        ("conversation.reopened", 2, "customer", None, None),
        ("message.in", 2, "customer", None, None),
    ]
    assert report["handoff"]["handoffs"] == 1
    assert report["first_response"]["clock"]["p50_seconds"] == 300.0
    # Resolved 600 s in, the customer back the next day: it resolved nothing.
    assert report["resolution_time"]["cycles"] == 0
    assert (cycle.resolved_at - T0, cycle.reopened_at - T0) == (
        timedelta(seconds=600),
        timedelta(days=1),
    )
    assert report["knowledge"]["fallen_back"] == 1
