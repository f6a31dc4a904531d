"""Care cycles: a conversation from its opening (or reopening) to its resolution. One
GROUP BY over the event log gives, per (conversation, cycle) started in the period,
when it started, when a person first replied, whether the bot and people took part,
and how it ended; reopenings are read apart to tell whether a resolution held."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select, type_coerce
from sqlalchemy.orm import Session

from analytics.support.period import ReportPeriod
from crm_store.base import UTCDateTime
from crm_store.event_log import CYCLE_STARTS
from crm_store.models import LoggedEvent as E

__all__ = ["REOPEN_WINDOW", "CareCycle", "care_cycles"]

# A resolution followed by a reopening within this long did not resolve anything.
REOPEN_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class CareCycle:
    conversation_id: int
    cycle: int
    channel: str
    started_at: datetime
    first_person_reply_at: datetime | None
    bot_replies: int
    agent_replies: int
    handoffs: int
    resolved_at: datetime | None
    resolved_by_bot: bool
    reopened_at: datetime | None  # the next cycle's start, if any

    @property
    def bot_took_part(self) -> bool:
        return self.bot_replies > 0

    @property
    def person_took_part(self) -> bool:
        return self.handoffs > 0 or self.agent_replies > 0

    @property
    def resolution_held(self) -> bool:
        """Resolved, and not reopened within the reopen window."""
        if self.resolved_at is None:
            return False
        return self.reopened_at is None or self.reopened_at - self.resolved_at > REOPEN_WINDOW

    @property
    def resolved_by_bot_alone(self) -> bool:
        return self.resolved_by_bot and not self.person_took_part and self.resolution_held


def _first(condition: object) -> object:
    return type_coerce(func.min(case((condition, E.occurred_at))), UTCDateTime())


def _count(condition: object) -> object:
    return func.sum(case((condition, 1), else_=0))


# The events a cycle's figures read (customers' messages are not among them).
_READ = (*CYCLE_STARTS, "conversation.resolved", "handoff.opened", "message.out")


def _in_period(period: ReportPeriod) -> list[object]:
    found = [
        E.type.in_(_READ),
        E.conversation_id.is_not(None),
        E.occurred_at >= period.since,
        E.occurred_at < period.followed_until,
    ]
    if period.channel is not None:
        found.append(E.channel == period.channel)
    return found


def care_cycles(session: Session, period: ReportPeriod) -> list[CareCycle]:
    """Every care cycle that started in the period (on its channel)."""
    started = _first(E.type.in_(CYCLE_STARTS))
    resolved = E.type == "conversation.resolved"
    agent_reply = and_(E.type == "message.out", E.actor == "agent")
    query = (
        select(
            E.conversation_id,
            E.cycle,
            func.max(E.channel),
            started,
            _first(agent_reply),
            _count(and_(E.type == "message.out", E.actor == "bot")),
            _count(agent_reply),
            _count(E.type == "handoff.opened"),
            _first(resolved),
            _count(and_(resolved, E.actor == "bot")),
        )
        .where(*_in_period(period))
        .group_by(E.conversation_id, E.cycle)
        .having(started >= period.since, started < period.until)
    )
    reopenings = {
        (conversation_id, cycle): when
        for conversation_id, cycle, when in session.execute(
            select(E.conversation_id, E.cycle, E.occurred_at).where(
                E.type == "conversation.reopened", *_in_period(period)
            )
        )
    }
    return [
        CareCycle(
            conversation_id=row[0],
            cycle=row[1],
            channel=row[2],
            started_at=row[3],
            first_person_reply_at=row[4],
            bot_replies=int(row[5] or 0),
            agent_replies=int(row[6] or 0),
            handoffs=int(row[7] or 0),
            resolved_at=row[8],
            resolved_by_bot=bool(row[9]),
            reopened_at=reopenings.get((row[0], row[1] + 1)),
        )
        for row in session.execute(query)
    ]
