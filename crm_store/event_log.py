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

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.care_cycles import CYCLE_STARTS, follow_event
from crm_store.models import LoggedEvent
from crm_store.reply_waits import asks_reply_after, follow_wait, later_reply

__all__ = [
    "CUSTOMER_EVENTS",
    "CYCLE_STARTS",
    "EVENT_TYPES",
    "NOT_COVERED_RULE",
    "event_row",
    "record_event",
    "record_events",
    "route_decisions",
    "route_gaps",
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


def record_event(session: Session, event_type: str, **details: Any) -> bool:
    """Append one event in the caller's transaction (`details` as `event_row` takes
    them), folded into its care cycle. False when its key is logged already (a retry):
    the first write stands and nothing is counted twice."""
    return bool(record_events(session, [event_row(event_type, **details)]))


# The columns `event_row` fills, every one of them in every row.
_ROW_COLUMNS = (
    "key",
    "type",
    "occurred_at",
    "actor",
    "conversation_id",
    "cycle",
    "customer_id",
    "channel",
    "staff_id",
    "detail",
    "data",
)


def event_row(
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
) -> dict[str, Any]:
    """One event's row for `record_events` (the arguments of `record_event`)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event {event_type!r}")
    return {
        "key": f"{event_type}:{key}",
        "type": event_type,
        "occurred_at": occurred_at or utcnow(),
        "actor": actor,
        "conversation_id": conversation_id,
        "cycle": cycle,
        "customer_id": customer_id,
        "channel": channel,
        "staff_id": staff_id,
        "detail": detail[:60] if detail else None,
        "data": data or {},
    }


def record_events(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Append several events (rows from `event_row`) in one statement; a key logged
    already is skipped. Each new one is folded into its care cycle
    (crm_store/care_cycles.py) and its agents' reply waits (crm_store/reply_waits.py).
    Returns how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    reply_after: dict[str, bool] = {}  # key -> a later agent reply in its cycle
    if len(rows) == 1:  # most: a turn's message, built once (_one_event)
        row = rows[0]
        asks = asks_reply_after(row["type"], row["conversation_id"], row["cycle"])
        found = session.execute(_one_event(dialect, asks), row).all()
        new_keys = {key for key, *_ in found}
        reply_after = {key: bool(rest[0]) for key, *rest in found if rest}
    else:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = LoggedEvent.__table__
        statement = (
            insert(table)
            .values(list(rows))
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(table.c.key)
        )
        new_keys = set(session.execute(statement).scalars())
    for row in rows:
        if row["key"] in new_keys:
            where = {name: row[name] for name in ("conversation_id", "cycle", "actor")}
            follow_event(
                session,
                row["type"],
                **where,
                channel=row["channel"],
                occurred_at=row["occurred_at"],
                detail=row["detail"],
            )
            follow_wait(
                session,
                row["type"],
                **where,
                staff_id=row["staff_id"],
                occurred_at=row["occurred_at"],
                reply_after=reply_after.get(row["key"]),
            )
    return len(new_keys)


@functools.cache
def _one_event(dialect: str, with_reply_after: bool = False) -> Any:
    """INSERT of one event row, skipped when its key is logged, built once with bound
    parameters: building it per event cost more CPU than running it (bench/turn_cost.py).
    Which rows went in comes from RETURNING: the rowcount of an INSERT ... ON CONFLICT DO
    NOTHING is not reliable on every driver (psycopg answers -1 with RETURNING).

    `with_reply_after`: RETURNING also says whether an agent's reply of the event's
    cycle is later than it (`reply_waits.later_reply`), the question `follow_wait`
    asks of a customer's message; asked here it is not a statement of its own (every
    turn asked it). The same statement as before, so it sees what that one saw: on
    PostgreSQL its own snapshot, taken after the turn's numbering UPDATE locked the
    conversation, as the separate SELECT's was."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = LoggedEvent.__table__
    columns = {name: bindparam(name, type_=table.c[name].type) for name in _ROW_COLUMNS}
    returned = [table.c.key]
    if with_reply_after:
        returned.append(later_reply().scalar_subquery().label("reply_after"))
    return (
        insert(table)
        .values(columns)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(*returned)
    )


def route_decisions(attributes: dict[str, Any]) -> list[str]:
    """A bot reply's routing decisions (`attributes.route`, README "Why the bot said
    it"): one per question its message asked; none for a reply without a route."""
    return [str(part["decision"]) for part in _route_parts(attributes) if part.get("decision")]


# The rule of a fallback on a topic the help centre does not cover (bot/conversation/
# routing.py's HELP_CENTRE_GAP is this one; the store reads stored routes, it does not route).
NOT_COVERED_RULE = "help_centre_gap"


def route_gaps(attributes: dict[str, Any]) -> list[str]:
    """The common topics (knowledge/common_questions.yaml) a bot reply said its help
    centre does not cover: one per question that fell back on one."""
    return [
        str(candidate["name"])
        for part in _route_parts(attributes)
        if part.get("rule") == NOT_COVERED_RULE
        for candidate in part.get("candidates") or []
        if isinstance(candidate, dict) and candidate.get("kind") == "gap" and candidate.get("name")
    ]


def _route_parts(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    route = attributes.get("route") if isinstance(attributes, dict) else None
    if not isinstance(route, dict):
        return []
    parts = route.get("parts") if isinstance(route.get("parts"), list) else [route]
    return [part for part in parts if isinstance(part, dict)]
