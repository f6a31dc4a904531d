"""The append-only event log: what happened in support, written in the transaction of
the change it records, so a change is never without its event nor an event without its
change. Reports (analytics/support_reports.py) are computed from it alone.

Each event has a key made from what it is about (`message.in:812`,
`conversation.resolved:40:2`): a retried transaction, a replayed webhook or a second
backfill inserts nothing new (INSERT ... ON CONFLICT (key) DO NOTHING, on SQLite and
PostgreSQL alike). Events carry ids and decisions, never message text: the words stay in
`interactions`, where erasure finds them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.care_cycles import CYCLE_STARTS, follow_event
from crm_store.models import LoggedEvent

__all__ = [
    "CUSTOMER_EVENTS",
    "CYCLE_STARTS",
    "EVENT_TYPES",
    "record_event",
    "record_events",
    "route_decisions",
]

EVENT_TYPES = (
    "conversation.opened",
    "conversation.reopened",
    "conversation.resolved",
    "message.in",
    "message.out",
    "handoff.opened",
    "handoff.claimed",
    "handoff.returned",
    "survey.asked",
    "survey.answered",
    "lifecycle.changed",
    "customer.created",
    "order.placed",
    "order.delivered",
    "ticket.resolved",
)
# The events about one customer that can start a journey (engagement/journey_triggers.py).
CUSTOMER_EVENTS = (
    "customer.created",
    "order.placed",
    "order.delivered",
    "ticket.resolved",
    "conversation.resolved",
    "survey.answered",
    "lifecycle.changed",
)


def record_event(
    session: Session,
    event_type: str,
    *,
    key: str,
    actor: str,
    conversation_id: int | None = None,
    cycle: int | None = None,
    customer_id: int | None = None,
    channel: str | None = None,
    staff_id: int | None = None,
    occurred_at: datetime | None = None,
    detail: str | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """Append one event in the caller's transaction, and fold it into its care cycle
    (crm_store/care_cycles.py). False when its key is logged already (a retry): the
    first write stands and nothing is counted twice."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event {event_type!r}")
    occurred_at = occurred_at or utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(LoggedEvent)
        .values(
            key=f"{event_type}:{key}",
            type=event_type,
            occurred_at=occurred_at,
            actor=actor,
            conversation_id=conversation_id,
            cycle=cycle,
            customer_id=customer_id,
            channel=channel,
            staff_id=staff_id,
            detail=detail[:60] if detail else None,
            data=data or {},
        )
        .on_conflict_do_nothing(index_elements=["key"])
        # Whether a row went in, from RETURNING: on PostgreSQL the rowcount of this
        # insert is -1 whether or not it conflicted (SQLAlchemy adds its own RETURNING).
        .returning(LoggedEvent.id)
    )
    if session.execute(statement).scalar() is None:
        return False
    follow_event(
        session,
        event_type,
        conversation_id=conversation_id,
        cycle=cycle,
        actor=actor,
        channel=channel,
        occurred_at=occurred_at,
        detail=detail,
    )
    return True


# Events record_events may write in bulk: none of them belongs to a care cycle, so
# nothing needs folding into crm_store/care_cycles.py (record_event does that).
BULK_EVENTS = ("lifecycle.changed",)


def record_events(session: Session, event_type: str, rows: list[dict[str, Any]]) -> None:
    """Append many events of one type in one executemany (each row: `key`, `actor` and
    any of record_event's other arguments); those whose key is logged already are
    skipped, as in record_event. Only for BULK_EVENTS."""
    if event_type not in BULK_EVENTS:
        raise ValueError(f"{event_type!r} is written one by one, with record_event")
    if not rows:
        return
    now = utcnow()
    values = [
        {
            "key": f"{event_type}:{row['key']}",
            "type": event_type,
            "occurred_at": row.get("occurred_at") or now,
            "actor": row["actor"],
            **{column: row.get(column) for column in _COLUMNS},
            "detail": row["detail"][:60] if row.get("detail") else None,
            "data": row.get("data") or {},
        }
        for row in rows
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LoggedEvent.__table__).on_conflict_do_nothing(index_elements=["key"])
    session.execute(statement, values)


_COLUMNS = ("conversation_id", "cycle", "customer_id", "channel", "staff_id")


def route_decisions(attributes: dict[str, Any]) -> list[str]:
    """A bot reply's routing decisions (`attributes.route`, README "Why the bot said
    it"): one per question its message asked; none for a reply without a route."""
    route = attributes.get("route")
    if not isinstance(route, dict):
        return []
    parts = route.get("parts") if isinstance(route.get("parts"), list) else [route]
    return [
        str(part["decision"]) for part in parts if isinstance(part, dict) and part.get("decision")
    ]
