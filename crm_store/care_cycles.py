"""Care cycles kept up to date from the event log: each event that changes a cycle's
figures (its start, a bot or agent reply, a handoff, the resolution, the next cycle's
start) upserts the (conversation, cycle) row in the event's own transaction, so the
row never disagrees with the log. `record_event` calls `follow_event` only for an event
it inserted, so a retried event counts once. Migration 0021 builds the rows of events
logged before it with one GROUP BY (the same rules, in SQL).

Times keep the earliest seen (events of one transaction may be logged out of order),
but for the bot's last reply before the resolution, the latest; the channel is the one
of the cycle's start event, the channel the report counts it by.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_store.models import CareCycle

__all__ = ["CYCLE_EVENTS", "CYCLE_STARTS", "follow_event"]

# The events that start a care cycle.
CYCLE_STARTS = ("conversation.opened", "conversation.reopened")
# The events a care cycle's row is made from (customers' messages are not among them).
CYCLE_EVENTS = (
    *CYCLE_STARTS,
    "conversation.resolved",
    "handoff.opened",
    "message.out",
    "survey.asked",
    "survey.answered",
)

_EARLIEST = (
    "started_at",
    "first_bot_reply_at",
    "first_person_reply_at",
    "first_handoff_at",
    "resolved_at",
    "reopened_at",
    "survey_asked_at",
)
_COUNTS = ("bot_replies", "agent_replies", "handoffs")
# What a new row holds where its first event says nothing.
_DEFAULTS = ("bot_replies", "agent_replies", "handoffs", "resolved_by_bot")


def _changes(event_type: str, actor: str, when: datetime, detail: str | None) -> dict[str, Any]:
    """What one event sets on its own cycle's row (empty when nothing)."""
    if event_type in CYCLE_STARTS:
        return {"started_at": when}
    if event_type == "message.out" and actor == "bot":
        return {"first_bot_reply_at": when, "last_bot_reply_at": when, "bot_replies": 1}
    if event_type == "message.out" and actor == "agent":
        return {"first_person_reply_at": when, "agent_replies": 1}
    if event_type == "handoff.opened":
        return {"first_handoff_at": when, "handoffs": 1}
    if event_type == "conversation.resolved":
        return {"resolved_at": when, "resolved_by_bot": actor == "bot"}
    if event_type == "survey.asked":
        return {"survey_asked_at": when}
    if event_type == "survey.answered" and detail is not None and detail.isdigit():
        return {"survey_score": int(detail)}  # the score, as crm_store/surveys.py logs it
    return {}


def follow_event(
    session: Session,
    event_type: str,
    *,
    conversation_id: int | None,
    cycle: int | None,
    actor: str,
    channel: str | None,
    occurred_at: datetime,
    detail: str | None = None,
) -> None:
    """Fold one newly logged event into its care cycle (and a reopening into the
    cycle before, as its `reopened_at`)."""
    if conversation_id is None or cycle is None:
        return
    changes = _changes(event_type, actor, occurred_at, detail)
    if changes:
        _upsert(session, conversation_id, cycle, channel, changes)
    if event_type == "conversation.reopened" and cycle > 1:
        _upsert(session, conversation_id, cycle - 1, channel, {"reopened_at": occurred_at})


def _upsert(
    session: Session, conversation_id: int, cycle: int, channel: str | None, changes: dict
) -> None:
    values = {"conversation_id": conversation_id, "cycle": cycle, "channel": channel}
    values.update({"bot_replies": 0, "agent_replies": 0, "handoffs": 0, "resolved_by_bot": False})
    values.update(changes)
    statement = _upsert_statement(session.get_bind().dialect.name, tuple(sorted(changes)))
    session.execute(statement, values)


@functools.cache
def _upsert_statement(dialect: str, changed: tuple[str, ...]) -> Any:
    """The upsert for one kind of change, built once with bound parameters: building it
    per event (the `excluded` alias, a bind per value, its cache key) was a fifth of a
    web chat turn's transactions' CPU (bench/turn_cost.py). A handful of kinds exist
    (`_changes`), so the cache stays small."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = CareCycle.__table__
    names = ["conversation_id", "cycle", "channel", *_DEFAULTS]
    names += [name for name in changed if name not in names]
    statement = insert(table).values(
        {name: bindparam(name, type_=table.c[name].type) for name in names}
    )
    row, new = table.c, statement.excluded
    updates: dict[str, Any] = {}
    for name in changed:
        if name in _EARLIEST:
            earlier = or_(row[name].is_(None), new[name] < row[name])
            updates[name] = case((earlier, new[name]), else_=row[name])
        elif name in _COUNTS:
            updates[name] = row[name] + new[name]
        elif name == "survey_score":
            updates[name] = new[name]
    if "last_bot_reply_at" in changed:
        # The latest bot reply before the resolution: one after it (a survey's thanks)
        # is not what the customer had when the bot resolved the cycle.
        later = or_(row.last_bot_reply_at.is_(None), new.last_bot_reply_at > row.last_bot_reply_at)
        unresolved = or_(row.resolved_at.is_(None), new.last_bot_reply_at < row.resolved_at)
        updates["last_bot_reply_at"] = case(
            (and_(later, unresolved), new.last_bot_reply_at), else_=row.last_bot_reply_at
        )
    if "resolved_at" in changed:
        first = or_(row.resolved_at.is_(None), new.resolved_at < row.resolved_at)
        updates["resolved_by_bot"] = case((first, new.resolved_by_bot), else_=row.resolved_by_bot)
    updates["channel"] = (
        new.channel if "started_at" in changed else func.coalesce(row.channel, new.channel)
    )
    return statement.on_conflict_do_update(
        index_elements=["conversation_id", "cycle"], set_=updates
    )
